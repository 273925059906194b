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
desk-usage = Polecenia agenta: /agent reply N tekst · note N tekst · claim N · assign N osoba · release N · priority N low|normal|high|urgent · ask N pytanie · resolve N · reopen N · close N · block N · unblock N · canned N nazwa · available on|off · list · show N
desk-ticket-line = #{ $id } [{ $priority }] { $status } — { $subject } ({ $customer })
desk-no-tickets = Brak otwartych zgłoszeń.
desk-edit-too-late = #{ $id }: wiadomości starszej niż { $minutes } min nie można już zmienić u klienta.
desk-overdue = ⏰ Zgłoszenie #{ $id } czeka na pierwszą odpowiedź dłużej, niż obiecaliśmy (termin: { $due }).
desk-escalated = 🚨 Zgłoszenie #{ $id } eskalowane do: { $supervisor } — nadal bez odpowiedzi.
desk-no-supervisor = kierownika zespołu (ustaw SUPPORTBOT_SUPERVISOR)
desk-auto-closed = Zgłoszenie #{ $id } zamknięte automatycznie po okresie bez wiadomości.
desk-throttled = Klient { $name } przekroczył limit { $per_minute } wiadomości na minutę (#{ $id }); jego wiadomości są zapisywane bez automatycznych odpowiedzi.
desk-reminder = 🔔 { $name } przypomina o zgłoszeniu #{ $id }.
desk-rated = Ocena zgłoszenia #{ $id }: { $stars }/5.
desk-rating-comment = Komentarz do oceny #{ $id }: { $text }
desk-unknown-canned = Nie ma gotowej odpowiedzi „{ $name }”. Dostępne: { $names }.

## Raport
stats-title = Raport za okres { $since } – { $until }
stats-backlog-line = { $status }: { $total } (pilne { $urgent }, wysokie { $high }, normalne { $normal }, niskie { $low })
stats-created = Nowe zgłoszenia w okresie: { $count }
stats-first-response = Pierwsza odpowiedź ({ $count } zgł.): mediana { $median }, 90. percentyl { $p90 }
stats-resolution = Rozwiązanie ({ $count } zgł.): mediana { $median }, 90. percentyl { $p90 }
stats-overdue = Po terminie teraz: { $count }
stats-satisfaction = Średnia ocena: { $average }/5 ({ $count } { $count ->
    [one] ocena
    [few] oceny
   *[many] ocen
  })
stats-satisfaction-none = Brak ocen w okresie.
stats-none = —
duration-hours = { $hours } godz. { $minutes } min
duration-days = { $days } d. { $hours } godz.
