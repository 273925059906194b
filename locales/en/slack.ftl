## The Slack agents' desk: the ticket's root message, its thread, buttons and /ticket

slack-root-fallback = Ticket #{ $id }: { $subject }
slack-root-header = #{ $id } · { $subject }
slack-label-customer = Customer
slack-customer-value = { $name } · { $platform } · { $language }
slack-label-category = Category
slack-label-priority = Priority
slack-label-status = Status
slack-label-assignee = Assignee
slack-label-due = First answer due
slack-label-attachments = Attachments
slack-due-overdue = { $due } — overdue
slack-due-answered = answered { $at }
slack-due-none = —
slack-status-new = new
slack-status-open = in progress
slack-status-waiting = waiting for the customer
slack-status-resolved = resolved
slack-status-closed = closed

slack-button-claim = Claim
slack-button-ask = Ask for info
slack-button-resolve = Resolve
slack-button-close = Close
slack-button-reopen = Reopen
slack-priority-placeholder = Priority

slack-ask-title = Ask for information
slack-ask-label = What do you need from the customer?
slack-ask-hint = The customer gets this on their own chat app; the ticket waits for their answer.
slack-ask-submit = Send
slack-ask-cancel = Cancel
slack-ask-posted = { $name } asked the customer for more information:

slack-customer-wrote = *{ $name }* ({ $platform }) writes:
slack-customer-sent-files = *{ $name }* ({ $platform }) sent { $count ->
    [one] a file
   *[other] { $count } files
  }:
slack-agent-outside = { $name } replied to the customer outside Slack:
slack-note-outside = Internal note from { $name }:
slack-file-not-copied = The file “{ $name }” could not be copied here: { $reason }
slack-refused = Only the support team (members of <#{ $channel }>) can do this.
slack-action-failed = That did not go through: the ticket store did not answer. Please try again.

slack-command-usage = `{ $command } N` shows ticket N · `{ $command } search words` finds tickets (whole words; `deliver*` also finds “delivery”) · `{ $command } mine` lists your open tickets · `{ $command } stats [days]` the report (30 days by default)
slack-search-header = { $count ->
    [one] 1 ticket matches “{ $query }”:
   *[other] { $count } tickets match “{ $query }”:
  }
slack-search-none = No ticket matches “{ $query }”. Words match whole; end one with `*` to find longer words too (`deliver*` finds “delivery”).
slack-mine-header = { $count ->
    [one] You have { $count } open ticket assigned:
   *[other] You have { $count } open tickets assigned:
  }
slack-mine-none = No open tickets are assigned to you.
slack-open-thread = Open the thread
slack-recent = Latest messages:
slack-recent-customer = { $name }: { $text }
slack-recent-agent = { $name } → customer: { $text }
slack-recent-note = { $name } (internal note): { $text }
