import VigilCore

/// A seeded, realistic-looking fleet for dashboard tests, screenshots and benchmarks: hosts with roles and
/// operating systems, and their activity (process starts, logins, sudo, connections, file changes, account
/// changes) spread over a time window with a working-day rhythm. The same seed gives the same fleet.
public struct FleetGenerator {
    public let devices: [Device]
    public let now: Int64
    public let span: Int64
    var random: SeededRandom
    var sequence: UInt64 = 0

    static let roles = ["web", "api", "db", "pay", "cache", "queue", "bastion", "build", "log", "vpn"]
    static let systems = [
        "Debian GNU/Linux 12 (bookworm)", "Debian GNU/Linux 12 (bookworm)", "Ubuntu 22.04.4 LTS",
        "Rocky Linux 9.3 (Blue Onyx)", "Alpine Linux v3.19",
    ]
    static let people = ["alice", "bob", "carol", "dmitri", "erin", "farid"]
    static let services = ["www-data", "postgres", "deploy", "nginx", "redis", "backup"]
    static let programs: [(path: String, command: String)] = [
        ("/usr/bin/bash", "-bash"),
        ("/usr/bin/ls", "ls -la /var/log"),
        ("/usr/bin/git", "git pull --ff-only origin main"),
        ("/usr/bin/python3", "python3 /opt/app/manage.py migrate --noinput"),
        ("/usr/bin/curl", "curl -fsS https://deb.debian.org/debian/dists/bookworm/Release"),
        ("/usr/bin/systemctl", "systemctl restart nginx.service"),
        ("/usr/sbin/nginx", "nginx -g daemon on; master_process on;"),
        ("/usr/lib/postgresql/15/bin/postgres", "postgres: checkpointer"),
        ("/usr/bin/tar", "tar czf /var/backups/app-2026.tar.gz /srv/app"),
        ("/usr/bin/apt-get", "apt-get -y upgrade"),
        ("/usr/bin/ssh", "ssh -o BatchMode=yes deploy@10.20.0.12 uptime"),
        ("/usr/bin/vim.basic", "vim /etc/nginx/sites-available/default"),
        ("/usr/bin/journalctl", "journalctl -u vigil-agent --since -1h"),
        ("/usr/bin/openssl", "openssl s_client -connect api.example.net:443"),
        ("/usr/bin/find", "find / -perm -4000 -type f"),
        ("/usr/bin/nc", "nc -lvnp 4444"),
    ]
    static let files = [
        "/etc/passwd", "/etc/shadow", "/etc/sudoers", "/etc/ssh/sshd_config", "/etc/nginx/nginx.conf",
        "/srv/app/config/settings.py", "/var/www/html/index.html", "/etc/crontab", "/root/.ssh/authorized_keys",
        "/usr/local/bin/healthcheck", "/etc/hosts", "/opt/pay/keys/merchant.pem",
    ]

    /// `hosts` hosts whose events fall in `[now - span, now)`.
    public init(seed: UInt64, hosts: Int, now: Int64, span: Int64 = 86_400_000) {
        var random = SeededRandom(seed: seed)
        var devices: [Device] = []
        for index in 0..<hosts {
            let role = Self.roles[index % Self.roles.count]
            let number = index / Self.roles.count + 1
            let os = Self.systems[Int(random.next() % UInt64(Self.systems.count))]
            let machine = (0..<4).map { _ in String(random.next() % 0xFFFF_FFFF, radix: 16) }.joined()
            devices.append(
                Device(
                    hostname: "\(role)-\(number < 10 ? "0" : "")\(number).prod.example.net", uid: machine, os: os,
                    ip: "10.20.\(index / 250).\(index % 250 + 2)"))
        }
        self.devices = devices
        self.now = now
        self.span = span
        self.random = random
    }

    mutating func pick<T>(_ items: [T]) -> T { items[Int(random.next() % UInt64(items.count))] }
    mutating func chance(_ percent: UInt64) -> Bool { random.next() % 1000 < percent * 10 }

    /// A time in the window, busier in working hours (08–18 UTC).
    mutating func time() -> Int64 {
        while true {
            let t = now - 1 - Int64(random.next() % UInt64(span))
            let hour = (t / 3_600_000) % 24
            if (8..<18).contains(hour) || chance(35) { return t }
        }
    }

    /// `count` events, each with the index of its host in `devices`, in no particular order.
    public mutating func events(count: Int) -> [(host: Int, event: Event)] {
        (0..<count).map { _ in nextEvent() }
    }

    public mutating func nextEvent() -> (host: Int, event: Event) {
        sequence += 1
        // A few hosts are much busier than the rest.
        let host =
            chance(30) ? Int(random.next() % UInt64(min(3, devices.count))) : Int(random.next() % UInt64(devices.count))
        let device = devices[host]
        let time = time()
        let id = "\(device.uid ?? device.hostname)-\(sequence)"
        let roll = random.next() % 100
        let person = pick(Self.people)
        let user = chance(50) ? pick(Self.services) : person
        var event: Event
        let metadata = EventMetadata(sequence: sequence, logName: "audit")
        switch roll {
        case 0..<52:
            let program = pick(Self.programs)
            let severity: Severity =
                program.path.hasSuffix("/nc") ? .high : program.path.hasSuffix("/find") ? .medium : .informational
            event = Event(
                id: id, classUID: .processActivity, activityID: Activity.Process.launch, time: time,
                severityID: severity, metadata: metadata, device: device,
                process: Process(
                    pid: Int(random.next() % 60_000) + 300,
                    name: String(program.path.split(separator: "/").last ?? ""), cmdLine: program.command,
                    file: FileObject(path: program.path), cwd: "/home/\(person)",
                    user: User(uid: String(random.next() % 2000), name: user), loginUser: User(name: person),
                    parentProcess: ParentProcess(pid: 200, name: "bash", file: FileObject(path: "/usr/bin/bash")),
                    lineage: ["/usr/bin/bash", "/usr/sbin/sshd", "/usr/lib/systemd/systemd"]))
        case 52..<72:
            let remote = "\(pick(["10.20.0", "10.20.1", "192.0.2", "198.51.100"])).\(random.next() % 250 + 2)"
            let port = pick([443, 443, 443, 5432, 6379, 22, 53, 80, 4444])
            event = Event(
                id: id, classUID: .networkActivity, activityID: Activity.Network.open, time: time,
                severityID: port == 4444 ? .high : .informational, metadata: metadata, device: device,
                process: Process(
                    pid: Int(random.next() % 60_000) + 300, name: "curl", file: FileObject(path: "/usr/bin/curl"),
                    user: User(name: user)),
                srcEndpoint: Endpoint(ip: device.ip, port: Int(random.next() % 28_000) + 32_768),
                dstEndpoint: Endpoint(ip: remote, port: port))
        case 72..<82:
            let path = pick(Self.files)
            let sensitive =
                path.contains("shadow") || path.contains("sudoers") || path.contains("authorized_keys")
                || path.contains(".pem")
            let activity = pick([Activity.File.update, Activity.File.update, Activity.File.read, Activity.File.create])
            event = Event(
                id: id, classUID: .fileSystemActivity, activityID: activity, time: time,
                severityID: sensitive ? (activity == Activity.File.read ? .high : .critical) : .low,
                metadata: EventMetadata(sequence: sequence, logName: "fim"), device: device,
                process: Process(
                    pid: Int(random.next() % 60_000) + 300, name: "vim.basic",
                    file: FileObject(path: pick(["/usr/bin/vim.basic", "/usr/bin/cp", "/usr/bin/tee"])),
                    user: User(name: pick(["root", person]))),
                file: FileObject(
                    path: path, type: "Regular File", size: Int64(random.next() % 40_000),
                    hashes: [FileHash(algorithm: "SHA-256", value: String(random.next(), radix: 16))]))
        case 82..<97:
            let failed = chance(25)
            let sudo = chance(40)
            let source = "\(pick(["10.20.0", "203.0.113", "198.51.100"])).\(random.next() % 250 + 2)"
            var unmapped = ["program": sudo ? "sudo" : "sshd", "action": sudo ? "sudo" : "login"]
            if sudo {
                unmapped["command"] = pick([
                    "/usr/bin/systemctl restart nginx", "/usr/bin/apt-get update", "/bin/cat /etc/shadow",
                ])
            }
            event = Event(
                id: id, classUID: .authentication,
                activityID: sudo ? Activity.Authentication.other : Activity.Authentication.logon, time: time,
                severityID: failed ? .medium : .informational, statusID: failed ? 2 : 1,
                metadata: EventMetadata(sequence: sequence, logName: "auth-log"), device: device,
                actor: Actor(user: User(name: person), process: Process(name: sudo ? "sudo" : "sshd")),
                srcEndpoint: sudo ? nil : Endpoint(ip: source, port: Int(random.next() % 28_000) + 32_768),
                user: User(name: sudo ? "root" : person), unmapped: unmapped)
        default:
            event = Event(
                id: id, classUID: .accountChange,
                activityID: pick([Activity.AccountChange.create, Activity.AccountChange.passwordChange]), time: time,
                severityID: .medium, statusID: 1, metadata: EventMetadata(sequence: sequence, logName: "auth-log"),
                device: device, actor: Actor(user: User(name: "root")),
                user: User(name: pick(["svc-report", "temp-contractor", person])))
        }
        return (host, event)
    }
}
