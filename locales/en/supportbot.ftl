## Menu and commands

welcome = Hello! I am the customer support assistant. Tell me how we can help — I will look for an answer in our help articles first, and if that is not enough, I will take a ticket for our team.
button-new-ticket = New ticket
button-my-tickets = My tickets
button-articles = Help articles
button-language = Language / Język
button-cancel = Cancel
button-done = Done
button-skip = Skip
button-confirm = Send ticket
button-edit = Edit a field
button-back = Back
button-previous = « Previous
button-next = Next »
button-ticket = #{ $id } { $subject }
button-open-ticket = Open a ticket
button-helped = This helped
button-read = Read: { $title }
button-close-ticket = Close ticket
button-reopen-ticket = Reopen
unknown-command = I don't know the command { $command }. Pick something from the menu below.
nothing-to-cancel = There is nothing to cancel.
cancelled = Cancelled. Nothing was sent.
button-expired = This button is no longer active.
use-buttons = Please pick one of the options below.
blocked = The support team has blocked this account, so we cannot take this message. If this is a mistake, please contact us another way.
unsupported-content = Sorry, we can't take { $kind ->
    [sticker] stickers
    [location] locations
    [contact] contacts
    [poll] polls
   *[other] this kind of message
  }. Please write a text message or send a photo or a file.
error-empty = The message is empty. Tell us how we can help.
error-too-long = The message is too long ({ $length } characters, the limit is { $max }). Please split it into several shorter messages.
too-many-files = A ticket can hold at most { $max } { $max ->
    [one] file
   *[other] files
  }.
file-added = File added. { $count ->
    [one] { $count } file attached.
   *[other] { $count } files attached.
  }

## Language

language-choose = Choose the language of our conversation:
language-name = { $name }
language-set = From now on we'll talk in English.

## Self-service

kb-found = { $count ->
    [one] I found an article that may help:
   *[other] I found { $count } articles that may help:
  }
kb-article-excerpt = • { $title }
    { $excerpt }
kb-did-it-help = Does this solve it? If not, open a ticket — your question will be kept in it.
kb-nothing-found = I couldn't find an article about that. You can open a ticket — your question will be kept in it.
kb-article = { $title }

    { $body }
kb-glad = Glad I could help! Write any time you need something else.
kb-empty = There are no help articles yet.
kb-list = Help articles:

## Ticket form

form-choose-category = What is your ticket about? Choose a category:
form-choose-field = Which field do you want to change?
form-in-progress = You have a ticket in progress — finish it or cancel it.
form-optional = (optional — you can skip it)
form-required = This field is required.
form-send-files = Send a photo or a file, or press “Done”.
form-files-so-far = { $count ->
    [0] No files attached yet.
    [one] { $count } file attached.
   *[other] { $count } files attached.
  }
form-error-empty = This field cannot be empty.
form-error-email = That doesn't look like a valid e-mail address (e.g. jane.doe@example.com).
form-error-too-short = Too short — we need at least { $min } { $min ->
    [one] character
   *[other] characters
  }.
form-error-too-long = Too long: { $length } characters, the limit is { $max }.

category-account = Account and login
category-payments = Payments and billing
category-orders = Orders and delivery
category-returns = Returns and complaints
category-technical = Technical problem
category-abuse = Abuse / fake account report
category-privacy = Privacy and personal data
category-suggestion = Suggestion
category-other = Other

field-subject-label = Subject
field-subject-prompt = Give your ticket a short subject (one sentence).
field-description-label = Description
field-description-prompt = Describe the problem exactly: what you tried, what happened, and what you expected.
field-steps-label = Steps
field-steps-prompt = How can we reproduce the problem? List the steps.
field-error_message-label = Error message
field-error_message-prompt = Copy the exact error message (or send a screenshot).
field-order_id-label = Order number
field-order_id-prompt = Your order number (e.g. ORD-12345).
field-order_id-format = An order number has 4–32 letters, digits, dashes or slashes, e.g. ORD-12345 or 2024/11/0042.
field-account_id-label = Account
field-account_id-prompt = The e-mail address or id of the account.
field-account_id-format = Give an e-mail address (e.g. jane@example.com) or an account id (letters, digits, dots, dashes).
field-transaction_id-label = Transaction id
field-transaction_id-prompt = The transaction id from the payment confirmation or statement.
field-transaction_id-format = A transaction id has 6–64 letters, digits or dashes.
field-occurred_at-label = When
field-occurred_at-prompt = When did it happen? (date and approximate time)
field-environment-label = Device
field-environment-prompt = On what device? Your browser or app with its version, and the system (e.g. Chrome 120, Windows 11).
field-attachments-label = Attachments
field-attachments-prompt = You can send screenshots or files now. Press “Done” when you have finished.
field-email-label = Contact e-mail
field-email-prompt = Your e-mail address, if you would also like the answer by e-mail.

summary-title = Please check your ticket:
summary-line = { $label }: { $value }
summary-category = Category
summary-empty = —
summary-files = { $count ->
    [0] No attachments.
    [one] { $count } attachment.
   *[other] { $count } attachments.
  }
summary-confirm = Is everything right?

ticket-created = Thank you! We have your ticket no. { $id }. Expect a first answer by { $due }. You will get every answer here.

## The customer's tickets

tickets-none = You have no tickets yet.
tickets-header = You have { $count } { $count ->
    [one] ticket
   *[other] tickets
  } (page { $page } of { $pages }):
tickets-line = #{ $id } { $subject } — { $status }
ticket-not-found = Ticket no. { $id } was not found.
ticket-status = Ticket no. { $id }: { $subject }
    Status: { $status }
    Category: { $category }
    Opened: { $created }
ticket-expect-answer = Expect a first answer by { $due }.
history-title = History:
history-customer = { $at } — you: { $text }{ $files ->
    [0] {""}
   *[other] {" "}(attachments: { $files })
  }
history-agent = { $at } — { $name }: { $text }
history-status = { $at } — status: { $status }
history-more = … and { $count } earlier { $count ->
    [one] entry
   *[other] entries
  }
follow-up-added = Added to ticket no. { $id }. The support team will see your message.
follow-up-pick = You have several open tickets. Which one should this message go to?
ticket-closed-by-you = Ticket no. { $id } is closed. If the problem comes back, you can reopen it.
ticket-already-closed = Ticket no. { $id } is already closed.
ticket-reopened-by-you = Ticket no. { $id } is open again. Tell us what is happening.
ticket-still-open = Ticket no. { $id } is still open.

status-new = new
status-open = in progress
status-waiting = waiting for your reply
status-resolved = resolved
status-closed = closed

priority-low = low
priority-normal = normal
priority-high = high
priority-urgent = urgent

## Notifications from the team

agent-reply = Reply to ticket no. { $id } — { $name }:
    { $text }
notice-assigned = Your ticket no. { $id } is now handled by { $name }.
notice-priority = The priority of ticket no. { $id } is now { $priority }.
notice-waiting = { $name } needs more information for ticket no. { $id }. Reply here — your message goes into the ticket.
notice-waiting-question = { $name } needs more information for ticket no. { $id }:
    { $text }
    Reply here — your message goes into the ticket.
notice-resolved = Ticket no. { $id } has been resolved. If the problem is still there, reopen it.
notice-reopened = Ticket no. { $id } has been reopened.
notice-closed = Ticket no. { $id } has been closed.
notice-blocked = The support team has limited messages to us from this account.
notice-unblocked = You can write to us again.

message-edited = (edited message)
message-withdrawn = The support team withdrew one of its messages.

## Operations: priorities, reminders, ratings, limits

throttled = We got many messages from you at once — every one is saved and the team will see them. I will send more automatic replies in a moment (limit: { $per_minute } messages a minute).
too-many-open-tickets = You already have { $count } open { $count ->
    [one] ticket
   *[other] tickets
  }. Please write in one of them — that way we answer sooner.
form-choose-priority = How urgent is it? (Your plan lets you choose the priority.)
summary-priority = Priority
kb-closed-ticket-linked = Your previous ticket no. { $id } is closed. If you open a new one, we will link it to the previous one.
ticket-reopened-by-reply = Ticket no. { $id } has been reopened and your message added to it.
button-remind = Send a reminder
reminder-not-needed = No reminder is needed for ticket no. { $id } — the team has already answered or is waiting for your reply.
reminder-too-early = The promised answer time for ticket no. { $id } has not passed yet: we will answer by { $due }.
reminder-already = A reminder for ticket no. { $id } was already sent. You can send another after { $next }.
reminder-sent = We have reminded the team about ticket no. { $id }. Sorry for the wait.
rating-ask = How would you rate our help? Choose 1 to 5.
button-rate = { $stars ->
    [1] ★ 1
    [2] ★★ 2
    [3] ★★★ 3
    [4] ★★★★ 4
   *[5] ★★★★★ 5
  }
rating-thanks = Thank you for your rating: { $stars }/5.
rating-ask-comment = Anything to add? Write a short comment or skip.
rating-comment-skipped = All right, thank you!
rating-already = Ticket no. { $id } has already been rated. Thank you!
rating-comment-thanks = Thank you for your comment — it helps us do better.
notice-auto-closed = Ticket no. { $id } was closed automatically as there were no new messages since it was resolved. If the problem comes back, open a new ticket — we will link it to this one.
