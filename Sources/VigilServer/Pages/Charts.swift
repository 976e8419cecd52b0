import VigilCore

/// SVG charts drawn by the server: pure functions from numbers and labels to markup. Colours come from the
/// stylesheet through classes (`sev-N`, `series`), so the pages need no inline style.
enum Charts {
    /// One bar of a stacked chart: a label (the time bucket) and a count per severity (index = severity id).
    struct StackedBar: Sendable, Equatable {
        var label: String
        var counts: [Int]
        /// Where clicking the bar goes (events of that bucket), or nil.
        var href: String?
    }

    /// The plot area inside the SVG's view box.
    struct Frame: Sendable, Equatable {
        var width: Double = 640
        var height: Double = 180
        var left: Double = 44
        var right: Double = 8
        var top: Double = 10
        var bottom: Double = 24
        var plotWidth: Double { width - left - right }
        var plotHeight: Double { height - top - bottom }
    }

    /// The smallest of 1, 2, 5 × 10ⁿ at or above `value` (an axis maximum), at least 1.
    static func niceMaximum(_ value: Int) -> Int {
        guard value > 1 else { return 1 }
        var magnitude = 1
        while magnitude * 10 <= value { magnitude *= 10 }
        for step in [1, 2, 5, 10] where step * magnitude >= value { return step * magnitude }
        return 10 * magnitude
    }

    /// `12.5` → `12.5`, `40.0` → `40`: short numbers for coordinates.
    static func number(_ value: Double) -> String {
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }

    /// Bars stacked by severity (lowest at the bottom), one per time bucket, with a y axis and every
    /// `labelEvery`-th bucket labelled. `title` names the chart for screen readers.
    static func severityBars(
        _ bars: [StackedBar], title: String, labelEvery: Int = 1, frame: Frame = Frame()
    ) -> String {
        let maximum = niceMaximum(bars.map { $0.counts.reduce(0, +) }.max() ?? 0)
        let slot = bars.isEmpty ? frame.plotWidth : frame.plotWidth / Double(bars.count)
        let barWidth = max(1, slot * 0.8)
        var out = svgOpen(frame, title: title)
        out += axis(frame, maximum: maximum)
        for (index, bar) in bars.enumerated() {
            let x = frame.left + Double(index) * slot + (slot - barWidth) / 2
            var y = frame.top + frame.plotHeight
            let total = bar.counts.reduce(0, +)
            var group = ""
            for (severity, count) in bar.counts.enumerated() where count > 0 {
                let height = frame.plotHeight * Double(count) / Double(maximum)
                y -= height
                let name = Severity(rawValue: severity)?.name ?? "severity \(severity)"
                group +=
                    "<rect class=\"sev-\(severity)\" x=\"\(number(x))\" y=\"\(number(y))\" width=\"\(number(barWidth))\" height=\"\(number(height))\"><title>\(HTML.escape(bar.label)): \(count) \(HTML.escape(name))</title></rect>"
            }
            if let href = bar.href, total > 0 {
                out += "<a href=\"\(HTML.escape(href))\">\(group)</a>"
            } else {
                out += group
            }
            if labelEvery > 0, index % labelEvery == 0 {
                out +=
                    "<text class=\"tick\" x=\"\(number(x + barWidth / 2))\" y=\"\(number(frame.height - 6))\" text-anchor=\"middle\">\(HTML.escape(bar.label))</text>"
            }
        }
        return out + "</svg>"
    }

    /// A line through `values` (oldest first) over the plot's width, with a y axis; labels under the first,
    /// middle and last points.
    static func timeSeries(_ values: [Int], labels: [String], title: String, frame: Frame = Frame()) -> String {
        let maximum = niceMaximum(values.max() ?? 0)
        var out = svgOpen(frame, title: title)
        out += axis(frame, maximum: maximum)
        let step = values.count > 1 ? frame.plotWidth / Double(values.count - 1) : 0
        func point(_ index: Int) -> (Double, Double) {
            let x = frame.left + (values.count > 1 ? Double(index) * step : frame.plotWidth / 2)
            let y = frame.top + frame.plotHeight * (1 - Double(values[index]) / Double(maximum))
            return (x, y)
        }
        if !values.isEmpty {
            let points = values.indices.map { index -> String in
                let (x, y) = point(index)
                return "\(number(x)),\(number(y))"
            }
            out += "<polyline class=\"series\" points=\"\(points.joined(separator: " "))\"/>"
            for index in values.indices {
                let (x, y) = point(index)
                let label = index < labels.count ? labels[index] : ""
                out +=
                    "<circle class=\"series-point\" cx=\"\(number(x))\" cy=\"\(number(y))\" r=\"2\"><title>\(HTML.escape(label)): \(values[index])</title></circle>"
            }
            for index in Set([0, values.count / 2, values.count - 1]).sorted() where index < labels.count {
                let (x, _) = point(index)
                // The first and last labels hang inwards so they stay inside the view box.
                let anchor =
                    values.count == 1 ? "middle" : index == 0 ? "start" : index == values.count - 1 ? "end" : "middle"
                out +=
                    "<text class=\"tick\" x=\"\(number(x))\" y=\"\(number(frame.height - 6))\" text-anchor=\"\(anchor)\">\(HTML.escape(labels[index]))</text>"
            }
        }
        return out + "</svg>"
    }

    /// A small horizontal bar for a table cell: `value` out of `maximum`, `width` pixels at most.
    static func meter(_ value: Int, maximum: Int, width: Double = 120) -> String {
        let filled = maximum > 0 ? width * Double(min(value, maximum)) / Double(maximum) : 0
        return
            "<svg class=\"meter\" viewBox=\"0 0 \(number(width)) 10\" width=\"\(number(width))\" height=\"10\" aria-hidden=\"true\"><rect class=\"meter-bg\" x=\"0\" y=\"0\" width=\"\(number(width))\" height=\"10\"/><rect class=\"meter-fill\" x=\"0\" y=\"0\" width=\"\(number(filled))\" height=\"10\"/></svg>"
    }

    static func svgOpen(_ frame: Frame, title: String) -> String {
        "<svg class=\"chart\" viewBox=\"0 0 \(number(frame.width)) \(number(frame.height))\" role=\"img\" aria-label=\"\(HTML.escape(title))\"><title>\(HTML.escape(title))</title>"
    }

    /// Gridlines and labels at 0, half and the maximum.
    static func axis(_ frame: Frame, maximum: Int) -> String {
        var out = ""
        for fraction in [0.0, 0.5, 1.0] {
            let y = frame.top + frame.plotHeight * (1 - fraction)
            let value = Int((Double(maximum) * fraction).rounded())
            out +=
                "<line class=\"grid\" x1=\"\(number(frame.left))\" y1=\"\(number(y))\" x2=\"\(number(frame.width - frame.right))\" y2=\"\(number(y))\"/>"
            out +=
                "<text class=\"tick\" x=\"\(number(frame.left - 4))\" y=\"\(number(y + 4))\" text-anchor=\"end\">\(value)</text>"
        }
        return out
    }
}
