import Foundation
import VigilCLI

// Parse the command line and run; everything else is in VigilCLI.
let code = await CLI.run(Array(CommandLine.arguments.dropFirst()))
exit(code)
