## Telegram: command menu descriptions (setMyCommands, up to 256 characters) and notices only Telegram needs.

telegram-command-start = Main menu
telegram-command-new = Open a new ticket
telegram-command-tickets = My tickets
telegram-command-status = A ticket's status, e.g. /status 12
telegram-command-help = Help and menu
telegram-command-language = Change language / Zmień język
telegram-command-cancel = Cancel the ticket you started
telegram-private-only = I only answer in a private chat, so that your tickets are seen by you and our support team alone. Write to me here: { $link }
