## Messages for the support team (the agents' desk)

desk-created = New ticket #{ $id } [{ $category }, priority: { $priority }] from { $customer } ({ $platform }, { $language }): { $subject }
    Answer due: { $due }
desk-field = { $label }: { $value }
desk-customer-message = #{ $id } { $name } writes: { $text }{ $files ->
    [0] {""}
   *[other] {" "}(attachments: { $files })
  }
desk-agent-message = #{ $id } { $name } replies to the customer: { $text }
desk-note = #{ $id } internal note from { $name }: { $text }
desk-updated = #{ $id } status: { $status }, priority: { $priority }, assignee: { $assignee }
desk-unassigned = nobody
desk-alert = #{ $id } { $text }
desk-delivery-failed = The message could not be delivered to the customer: { $reason }
desk-no-such-ticket = There is no ticket #{ $id }.
desk-empty-reply = An empty reply to #{ $id } was not sent.
desk-assign-needs-name = Say whom to assign ticket #{ $id } to.
desk-already-assigned = Ticket #{ $id } is already assigned to { $name }.
desk-bad-priority = Unknown priority “{ $value }” (allowed: low, normal, high, urgent).
desk-bad-transition = Ticket #{ $id } cannot move from “{ $current }” to “{ $target }”.
desk-customer-closed = The customer closed ticket #{ $id }.
desk-customer-reopened = The customer reopened ticket #{ $id }.
desk-usage = Agent commands: /agent reply N text · note N text · claim N · assign N person · release N · priority N low|normal|high|urgent · ask N question · resolve N · reopen N · close N · block N · unblock N · canned N name · available on|off · list · show N
desk-ticket-line = #{ $id } [{ $priority }] { $status } — { $subject } ({ $customer })
desk-no-tickets = No open tickets.
desk-edit-too-late = #{ $id }: a message older than { $minutes } min can no longer be changed for the customer.
desk-overdue = ⏰ Ticket #{ $id } has waited for a first answer longer than promised (due: { $due }).
desk-escalated = 🚨 Ticket #{ $id } escalated to { $supervisor } — still unanswered.
desk-no-supervisor = the team lead (set SUPPORTBOT_SUPERVISOR)
desk-auto-closed = Ticket #{ $id } was closed automatically after a quiet period.
desk-throttled = Customer { $name } went over { $per_minute } messages a minute (#{ $id }); their messages are stored without automatic replies.
desk-reminder = 🔔 { $name } sent a reminder about ticket #{ $id }.
desk-rated = Ticket #{ $id } rated { $stars }/5.
desk-rating-comment = Rating comment on #{ $id }: { $text }
desk-unknown-canned = There is no canned reply “{ $name }”. Available: { $names }.

## Report
stats-title = Report for { $since } – { $until }
stats-backlog-line = { $status }: { $total } (urgent { $urgent }, high { $high }, normal { $normal }, low { $low })
stats-created = New tickets in the period: { $count }
stats-first-response = First response ({ $count } tickets): median { $median }, 90th percentile { $p90 }
stats-resolution = Resolution ({ $count } tickets): median { $median }, 90th percentile { $p90 }
stats-overdue = Overdue now: { $count }
stats-satisfaction = Average rating: { $average }/5 ({ $count } { $count ->
    [one] rating
   *[other] ratings
  })
stats-satisfaction-none = No ratings in the period.
stats-none = —
duration-hours = { $hours } h { $minutes } min
duration-days = { $days } d { $hours } h
