extension FIMConfig {
    /// The built-in configuration for Linux, in the same YAML a user would write.
    public static let defaultYAML = """
        version: 1
        schedule: weekly
        sensitive:
          - /etc/shadow
          - /etc/gshadow
          - /etc/sudoers
          - /etc/ssh/ssh_host_ed25519_key
          - /etc/ssh/ssh_host_rsa_key
          - /etc/ssh/ssh_host_ecdsa_key
        paths:
          - path: /etc
            group: all
            exclude: ["/etc/mtab", "*.swp", "*~", "/etc/ld.so.cache", "/etc/adjtime"]
          - path: /bin
            group: content+permissions
          - path: /sbin
            group: content+permissions
          - path: /usr/bin
            group: content+permissions
          - path: /usr/sbin
            group: content+permissions
          - path: /usr/lib/systemd
            group: content+permissions
          - path: /usr/lib/x86_64-linux-gnu/security
            group: content+permissions
          - path: /usr/lib/aarch64-linux-gnu/security
            group: content+permissions
          - path: /usr/lib/openssh
            group: content+permissions
          - path: /usr/lib/sudo
            group: content+permissions
          - path: /boot
            group: all
          - path: /root/.ssh
            group: all
            sensitive: true
          - path: /var/spool/cron
            group: all
          - path: /var/log
            group: log
            depth: 3
            exclude: ["*.gz", "*.[0-9]", "/var/log/journal/*"]
        """

    /// The built-in configuration, parsed.
    public static var linuxDefault: FIMConfig {
        do {
            return try load(yaml: defaultYAML, file: "<built-in>")
        } catch {
            preconditionFailure("the built-in FIM configuration does not parse: \(error)")
        }
    }
}
