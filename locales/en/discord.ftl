## Discord: answers only you can see, menus and the /ticket commands

discord-continue-in-dms = We continue in your direct messages — check your DMs. If nothing arrives, allow direct messages from members of this server (the server's privacy settings) and try again.
discord-continue-here = You will find the answer below.
discord-not-saved = We could not save your message. Please send it again in a moment.
discord-select-placeholder = Choose from the list…
discord-modal-title = Ticket: { $category }
discord-file-too-large = The file “{ $name }” is too large to send on Discord.
discord-file-unavailable = The file “{ $name }” could not be attached.

discord-command-ticket = Tickets for the support team
discord-command-new = Open a new ticket
discord-command-list = Show my tickets
discord-command-status = Check a ticket's status
discord-option-category = Category — opens the ticket form straight away
discord-option-number = Ticket number
