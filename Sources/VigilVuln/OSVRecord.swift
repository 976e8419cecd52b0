/// The parts of one OSV record the loader uses, read from a JSON tree or by `OSVStreamReader`.
///
/// Each field is what the tree reading gives: the first member of a name, nil (or empty) where the
/// member is absent or of another kind, only `ECOSYSTEM` ranges, only string versions and aliases.
struct OSVRecord {
    var id: String?
    /// A `withdrawn` date (a string) is present.
    var withdrawn = false
    var aliases: [String] = []
    /// The first `severity` item's `score`, else `database_specific.severity`.
    var severity: String?
    var affected: [Affected] = []

    /// One `affected` item.
    struct Affected {
        var name: String?
        var ecosystem: String?
        /// The events of each `ECOSYSTEM` range, in order.
        var ranges: [[Event]] = []
        var versions: [String] = []
    }

    /// One range event: the string value of each of the four event names, when present.
    struct Event {
        var introduced: String?
        var fixed: String?
        var lastAffected: String?
        var limit: String?
    }

    init() {}

    /// The record as read from a JSON tree.
    init(_ record: JSONValue) {
        id = record["id"]?.string
        withdrawn = record["withdrawn"]?.string != nil
        aliases = record["aliases"]?.items?.compactMap(\.string) ?? []
        severity =
            record["severity"]?.items?.first?["score"]?.string ?? record["database_specific"]?["severity"]?.string
        affected = (record["affected"]?.items ?? []).map { item in
            Affected(
                name: item["package"]?["name"]?.string, ecosystem: item["package"]?["ecosystem"]?.string,
                ranges: (item["ranges"]?.items ?? []).filter { $0["type"]?.string == "ECOSYSTEM" }.map { range in
                    (range["events"]?.items ?? []).map { event in
                        Event(
                            introduced: event["introduced"]?.string, fixed: event["fixed"]?.string,
                            lastAffected: event["last_affected"]?.string, limit: event["limit"]?.string)
                    }
                },
                versions: (item["versions"]?.items ?? []).compactMap(\.string))
        }
    }
}
