## Komunikaty dla zespołu wsparcia (biurko agentów)

desk-created = Nowe zgłoszenie #{ $id } [{ $category }, priorytet: { $priority }] od { $customer } ({ $platform }, { $language }): { $subject }
    Odpowiedź do: { $due }
desk-field = { $label }: { $value }
desk-customer-message = #{ $id } { $name } pisze: { $text }{ $files ->
    [0] {""}
   *[other] {" "}(załączniki: { $files })
  }
desk-agent-message = #{ $id } { $name } odpowiada klientowi: { $text }
desk-note = #{ $id } notatka wewnętrzna od { $name }: { $text }
desk-updated = #{ $id } status: { $status }, priorytet: { $priority }, przypisane: { $assignee }
desk-unassigned = nikt
desk-alert = #{ $id } { $text }
desk-delivery-failed = Nie udało się dostarczyć wiadomości do klienta: { $reason }
desk-no-such-ticket = Nie ma zgłoszenia #{ $id }.
desk-empty-reply = Pusta odpowiedź do #{ $id } nie została wysłana.
desk-assign-needs-name = Podaj, komu przypisać zgłoszenie #{ $id }.
desk-already-assigned = Zgłoszenie #{ $id } jest już przypisane: { $name }.
desk-bad-priority = Nieznany priorytet „{ $value }” (dozwolone: low, normal, high, urgent).
desk-bad-transition = Zgłoszenia #{ $id } nie można przenieść ze statusu „{ $current }” do „{ $target }”.
desk-customer-closed = Klient zamknął zgłoszenie #{ $id }.
desk-customer-reopened = Klient ponownie otworzył zgłoszenie #{ $id }.
desk-usage = Polecenia agenta: /agent reply N tekst · note N tekst · claim N · assign N osoba · release N · priority N low|normal|high|urgent · ask N pytanie · resolve N · reopen N · close N · block N · unblock N · list · show N
desk-ticket-line = #{ $id } [{ $priority }] { $status } — { $subject } ({ $customer })
desk-no-tickets = Brak otwartych zgłoszeń.
desk-edit-too-late = #{ $id }: wiadomości starszej niż { $minutes } min nie można już zmienić u klienta.
