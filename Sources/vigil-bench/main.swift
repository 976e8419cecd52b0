import Foundation

// vigil-bench NAME [ARGS…]: runs one benchmark and prints its figures as `key value unit` lines.
let arguments = Array(CommandLine.arguments.dropFirst())
guard let name = arguments.first, let bench = Benchmarks.all.first(where: { $0.name == name }) else {
    let list = Benchmarks.all.map { "  \($0.name.padding(toLength: 12, withPad: " ", startingAt: 0))\($0.summary)" }
    FileHandle.standardError.write(Data("usage: vigil-bench NAME [ARGS…]\n\(list.joined(separator: "\n"))\n".utf8))
    exit(2)
}
do {
    try await bench.run(Array(arguments.dropFirst()))
} catch {
    FileHandle.standardError.write(Data("vigil-bench \(name): \(error)\n".utf8))
    exit(1)
}
