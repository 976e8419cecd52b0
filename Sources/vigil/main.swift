import Dispatch
import Foundation
import VigilCLI

// Top-level code without `await` runs synchronously on the main thread, before the concurrency pool
// or any libmicrohttpd thread exists: block the termination signals here so every later thread inherits
// the mask and only Signals' waiting thread receives them. Then run the command and park the main thread.
Signals.install()
let arguments = Array(CommandLine.arguments.dropFirst())
Task {
    exit(await CLI.run(arguments))
}
dispatchMain()
