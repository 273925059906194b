## Personal data protection (GDPR): the customer's requests from the chat

privacy-options = You can ask for a copy of the data we keep about you in your tickets, or for its erasure. We pass the request to the support team, who will answer within one month at the latest.
button-privacy = My data (GDPR)
privacy-button-export = A copy of my data
privacy-button-erase = Erase my data
privacy-kind-export = a copy of your data
privacy-kind-erase = erasure of your data
privacy-request-recorded = We have recorded your request: { $kind }. The support team will handle it in ticket no. { $id } and answer within one month at the latest.
privacy-request-already = Your request ({ $kind }) is already recorded in ticket no. { $id }. The support team is on it.

## For the support team

desk-privacy-request = 🔒 GDPR request in ticket #{ $id }: { $kind } (customer no. { $customer }, { $platform }). After checking who is asking, an admin runs: supportbot customer { $command } { $customer }
desk-privacy-kind-export = a copy of their data (export)
desk-privacy-kind-erase = erasure of their data
