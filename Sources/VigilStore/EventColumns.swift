import VigilCore

/// The values both engines store in indexed columns beside an event's JSON (who, which program, which
/// command line), chosen one way so SQLite and PostgreSQL filter alike.
struct EventColumns {
    let userName: String?
    let processPath: String?
    let commandLine: String?

    init(_ event: Event) {
        let process = event.process ?? event.actor?.process
        userName = process?.user?.name ?? event.actor?.user?.name
        processPath = process?.file?.path
        commandLine = process?.cmdLine
    }
}
