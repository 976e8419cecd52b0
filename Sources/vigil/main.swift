import Dispatch
import Foundation
import VigilCLI

// Top-level code without `await` runs synchronously on the main thread, before the concurrency pool
// or any libmicrohttpd thread exists: block the termination signals here so every later thread inherits
// the mask and only Signals' waiting thread receives them. Then run the command and park the main thread.
let arguments = Array(CommandLine.arguments.dropFirst())
// The agent hardens itself (capabilities and Landlock are per thread): it runs synchronously here, while this is
// the process's only thread, so every thread it starts inherits the hardening. It handles its own signals.
if arguments.first == "agent" {
    exit(AgentMain.main(arguments))
}
Signals.install()
Task {
    exit(await CLI.run(arguments))
}
dispatchMain()
