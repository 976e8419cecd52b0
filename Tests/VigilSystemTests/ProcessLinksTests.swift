import Glibc
import Testing
import VigilSystem

@Suite struct ProcessLinksTests {
    @Test func ownLinksAreReadAndMissingOnesAreUnavailableNotRefused() {
        let own = getpid()
        guard case .target(let bytes) = ProcessLinks.read("/proc/\(own)/exe", pid: own) else {
            Issue.record("the test process's own exe link was not read")
            return
        }
        #expect(bytes.first == UInt8(ascii: "/"))
        let before = ProcessLinks.othersReadable
        #expect(ProcessLinks.read("/proc/\(own)/no-such-link", pid: own + 1_000_000) == .unavailable)
        #expect(ProcessLinks.othersReadable == before)
        #expect(ProcessLinks.string("/proc/\(own)/cwd", pid: own)?.hasPrefix("/") == true)
    }
}
