"""PMO dashboard: a server-rendered web app beside the bot, reached by a signed login link."""
