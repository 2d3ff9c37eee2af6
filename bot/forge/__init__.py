"""Where the bot's effects on a repository host live: GitHub through PyGithub, or a local stand-in."""
