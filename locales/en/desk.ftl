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
desk-usage = Agent commands: /agent reply N text · note N text · claim N · assign N person · release N · priority N low|normal|high|urgent · ask N question · resolve N · reopen N · close N · block N · unblock N · list · show N
desk-ticket-line = #{ $id } [{ $priority }] { $status } — { $subject } ({ $customer })
desk-no-tickets = No open tickets.
desk-edit-too-late = #{ $id }: a message older than { $minutes } min can no longer be changed for the customer.
