/// The dashboard's static files, served from memory: one stylesheet, one small script, an icon.
/// The Content-Security-Policy allows only same-origin scripts and styles, so nothing here is inline.
enum Assets {
    static let stylesheet = """
        :root { --fg: #1b1f24; --muted: #5b6470; --line: #d8dde3; --accent: #0b5cad; --bg: #f6f8fa; }
        * { box-sizing: border-box; }
        body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); margin: 0; background: #fff; }
        a { color: var(--accent); }
        header.top { background: #10243e; color: #fff; padding: 8px 20px; display: flex; flex-wrap: wrap; gap: 4px 18px; align-items: center; }
        header.top .brand { color: #fff; font-weight: 700; font-size: 18px; text-decoration: none; letter-spacing: .5px; }
        header.top nav { display: flex; flex-wrap: wrap; gap: 2px; }
        header.top nav a { color: #cfdbea; text-decoration: none; padding: 4px 8px; border-radius: 4px; }
        header.top nav a:hover { background: #1d3a5f; color: #fff; }
        header.top nav a[aria-current="page"] { background: #2a5286; color: #fff; }
        header.top .asof { margin-left: auto; color: #9fb3cc; font-size: 12px; }
        header.top a.signout { color: #cfdbea; font-size: 12px; }
        form.login input { width: 18em; }
        main { padding: 12px 20px 24px; max-width: 1500px; }
        h1 { font-size: 22px; margin: 6px 0 12px; }
        h2 { font-size: 16px; margin: 18px 0 8px; }
        footer { color: var(--muted); font-size: 12px; padding: 8px 20px 16px; border-top: 1px solid var(--line); }
        table { border-collapse: collapse; width: 100%; }
        caption { text-align: left; color: var(--muted); padding: 4px 0; }
        th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
        th { font-weight: 600; color: var(--muted); background: #fff; }
        thead th { position: sticky; top: 0; }
        td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
        td.cmd, td.exe, .mono, pre { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12.5px; }
        td.cmd, td.exe { word-break: break-all; }
        td.time { white-space: nowrap; color: var(--muted); }
        td.user, td.host { white-space: nowrap; }
        details summary { color: var(--muted); cursor: pointer; font-size: 12px; }
        details pre { background: var(--bg); border: 1px solid var(--line); padding: 6px; white-space: pre-wrap; word-break: break-all; max-height: 320px; overflow: auto; }
        .pid { color: var(--muted); }
        .muted { color: var(--muted); }
        .sr { position: absolute; left: -9999px; }
        .tiles { display: flex; flex-wrap: wrap; gap: 10px; }
        .tile { border: 1px solid var(--line); border-radius: 6px; padding: 8px 14px; min-width: 140px; background: var(--bg); }
        .tile .value { display: block; font-size: 24px; font-weight: 600; }
        .tile .label { color: var(--muted); }
        .tile.warn { border-color: #d9822b; background: #fff6ec; }
        .charts { display: grid; grid-template-columns: 1fr 1fr; gap: 12px 24px; margin-top: 14px; }
        .charts .legend { grid-column: 1 / -1; margin: 0; }
        figure { margin: 0; }
        figcaption { color: var(--muted); font-size: 13px; margin-bottom: 4px; }
        svg.chart { width: 100%; height: auto; max-height: 240px; background: #fff; }
        svg.chart .grid { stroke: #e3e7ec; stroke-width: 1; }
        svg.chart .tick { fill: var(--muted); font-size: 10px; }
        svg.chart .series { fill: none; stroke: var(--accent); stroke-width: 2; }
        svg.chart .series-point { fill: var(--accent); }
        svg.meter .meter-bg { fill: #eef1f4; }
        svg.meter .meter-fill { fill: #6b8fb8; }
        .sev-0 { fill: #b0b7c0; } .sev-1 { fill: #9fb6cf; } .sev-2 { fill: #5f9ed1; } .sev-3 { fill: #e0b43a; }
        .sev-4 { fill: #e07b39; } .sev-5 { fill: #c9352b; } .sev-6 { fill: #7a1b16; }
        span.sev { display: inline-block; font-size: 11px; padding: 0 5px; border-radius: 3px; color: #fff; background: #8894a3; }
        span.sev-0, span.sev-1 { background: #8da2b9; } span.sev-2 { background: #4a86b8; } span.sev-3 { background: #b58a10; }
        span.sev-4 { background: #c0601f; } span.sev-5 { background: #b02a21; } span.sev-6 { background: #7a1b16; }
        .split { display: grid; grid-template-columns: 1fr 1fr; gap: 12px 24px; }
        @media (max-width: 900px) { .charts, .split { grid-template-columns: 1fr; } }
        .status { font-size: 12px; padding: 0 6px; border-radius: 3px; }
        .status.online { background: #e3f4e6; color: #1c6b2c; }
        .status.silent { background: #fdeedd; color: #8a4b0f; }
        dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 0; }
        dl.facts dt { color: var(--muted); }
        dl.facts dd { margin: 0; word-break: break-all; }
        form.filters { display: flex; flex-wrap: wrap; gap: 8px 12px; align-items: flex-end; background: var(--bg); border: 1px solid var(--line); border-radius: 6px; padding: 10px; margin-bottom: 10px; }
        form.filters label { display: flex; flex-direction: column; font-size: 12px; color: var(--muted); gap: 2px; }
        form.filters label.wide input { width: 280px; }
        form.filters input, form.filters select, form.filters button { font: inherit; padding: 3px 6px; }
        .pager { margin: 10px 0; display: flex; gap: 16px; }
        .chips { margin: 4px 0 8px; }
        .empty { border: 1px dashed var(--line); border-radius: 6px; padding: 14px 18px; background: var(--bg); color: var(--muted); margin: 10px 0; }
        .empty .headline { color: var(--fg); font-weight: 600; margin-top: 0; }
        p.error { color: #a3261b; font-weight: 600; }
        p.ok { color: #1c6b2c; font-weight: 600; }
        .status.st-open { background: #fdeaea; color: #8a1c14; }
        .status.st-acknowledged { background: #fdf4dc; color: #7a5a08; }
        .status.st-resolved { background: #e3f4e6; color: #1c6b2c; }
        form.triage { background: var(--bg); border: 1px solid var(--line); border-radius: 6px; padding: 10px; margin-top: 10px; }
        form.triage label { display: flex; flex-direction: column; gap: 4px; color: var(--muted); }
        form.triage textarea, form.triage button { font: inherit; }
        form.triage textarea { max-width: 60em; }
        table.matched th { text-align: left; padding-right: 14px; }
        ol.history li { margin: 2px 0; }
        section.verify { border: 1px solid var(--line); border-radius: 6px; padding: 4px 14px; margin: 10px 0; }
        section.verify.ok { border-color: #1c6b2c; background: #eef8f0; }
        section.verify.error { border-color: #a3261b; background: #fdeaea; }
        li.error { color: #a3261b; font-weight: 600; }
        section.secret pre { background: var(--bg); border: 1px solid #d9822b; padding: 8px; white-space: pre-wrap; word-break: break-all; }
        a.proof { font-size: 11px; margin-left: 6px; }
        section.tiles + dl.facts, form.triage + *, main > form { margin-top: 12px; margin-bottom: 12px; }
        td form { display: inline; }
        .lede { color: var(--muted); }
        @media print {
          header.top { background: none; color: #000; border-bottom: 1px solid #000; }
          header.top nav, form.filters, form.triage, .pager, details, a.proof { display: none; }
          header.top .brand, header.top .asof { color: #000; }
          thead th { position: static; }
          a { color: inherit; text-decoration: none; }
          main { max-width: none; }
        }
        """

    /// Small progressive enhancements; every page works without them.
    static let script = """
        // Vigil dashboard: small enhancements only (the pages work without script).
        "use strict";
        document.addEventListener("DOMContentLoaded", function () {
          // Filter selects submit their form when changed.
          document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
            select.addEventListener("change", function () { if (select.form) { select.form.submit(); } });
          });
          // A key focuses the search box (unless typing somewhere already).
          document.addEventListener("keydown", function (event) {
            var target = event.target;
            if (target && (target.tagName === "INPUT" || target.tagName === "SELECT" || target.tagName === "TEXTAREA")) { return; }
            var box = document.querySelector("[data-focus-key='" + event.key + "']");
            if (box) { event.preventDefault(); box.focus(); }
          });
          // Times are written in UTC; hovering shows the viewer's local time.
          document.querySelectorAll("time[datetime]").forEach(function (element) {
            var date = new Date(element.getAttribute("datetime"));
            if (!isNaN(date.getTime())) { element.title = date.toLocaleString(); }
          });
        });

        """

    static let favicon = """
        <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#10243e"/>\
        <path d="M7 9 L16 25 L25 9" fill="none" stroke="#9fd0ff" stroke-width="4" stroke-linejoin="round"/></svg>

        """
}
