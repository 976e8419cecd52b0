/// The sign-in page. Every value passes through `HTML.escape`; no script, so the strict CSP holds.
enum LoginPage {
    static func render(loginToken: String, message: String?) -> String {
        let notice = message.map { "<p class=\"error\" role=\"alert\">\(HTML.escape($0))</p>" } ?? ""
        return """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Vigil — sign in</title>
            <link rel="stylesheet" href="/static/vigil.css">
            <link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
            </head>
            <body>
            <header class="top"><span class="brand">Vigil</span><span class="asof">Sign in</span></header>
            <main>
            \(notice)
            <form method="post" action="/login" class="login">
            <input type="hidden" name="login_csrf" value="\(HTML.escape(loginToken))">
            <p><label>User name<br><input name="username" autocomplete="username" required maxlength="64"></label></p>
            <p><label>Password<br><input name="password" type="password" autocomplete="current-password" required></label></p>
            <p><label>Authenticator code<br><input name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" required maxlength="6"></label></p>
            <p><button type="submit">Sign in</button></p>
            </form>
            </main>
            </body>
            </html>

            """
    }

    /// The sign-out confirmation: a form carrying the session's anti-forgery token (a plain link cannot sign
    /// out, so another site cannot sign a user out either).
    static func signOut(_ user: SessionUser) -> String {
        """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Vigil — sign out</title>
        <link rel="stylesheet" href="/static/vigil.css">
        <link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
        </head>
        <body>
        <header class="top"><a class="brand" href="/">Vigil</a></header>
        <main>
        <form method="post" action="/logout" class="login">
        <p>Signed in as \(HTML.escape(user.name)) (\(user.role.rawValue)).</p>
        <input type="hidden" name="csrf_token" value="\(HTML.escape(user.csrfToken))">
        <p><button type="submit">Sign out</button> <a href="/">Back</a></p>
        </form>
        </main>
        </body>
        </html>

        """
    }
}
