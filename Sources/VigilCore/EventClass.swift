/// OCSF event classes Vigil emits (`class_uid`).
public enum EventClass: Int, Sendable, Codable, Hashable, CaseIterable {
    case fileSystemActivity = 1001
    case kernelExtensionActivity = 1002
    case kernelActivity = 1003
    case memoryActivity = 1004
    case moduleActivity = 1005
    case scheduledJobActivity = 1006
    case processActivity = 1007
    case deviceConfigState = 5002
    case detectionFinding = 2004
    case vulnerabilityFinding = 2002
    case complianceFinding = 2003
    case accountChange = 3001
    case authentication = 3002
    case authorizeSession = 3003
    case entityManagement = 3004
    case userAccess = 3005
    case networkActivity = 4001
    case deviceInventoryInfo = 5001
    case configStateChange = 5019
    case baseEvent = 0

    /// The OCSF class name.
    public var name: String {
        switch self {
        case .fileSystemActivity: "File System Activity"
        case .kernelExtensionActivity: "Kernel Extension Activity"
        case .kernelActivity: "Kernel Activity"
        case .memoryActivity: "Memory Activity"
        case .moduleActivity: "Module Activity"
        case .scheduledJobActivity: "Scheduled Job Activity"
        case .processActivity: "Process Activity"
        case .deviceConfigState: "Device Config State"
        case .detectionFinding: "Detection Finding"
        case .vulnerabilityFinding: "Vulnerability Finding"
        case .complianceFinding: "Compliance Finding"
        case .accountChange: "Account Change"
        case .authentication: "Authentication"
        case .authorizeSession: "Authorize Session"
        case .entityManagement: "Entity Management"
        case .userAccess: "User Access Management"
        case .networkActivity: "Network Activity"
        case .deviceInventoryInfo: "Device Inventory Info"
        case .configStateChange: "Device Config State Change"
        case .baseEvent: "Base Event"
        }
    }
}
