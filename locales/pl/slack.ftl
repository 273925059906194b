## Biurko agentów w Slacku: główna wiadomość zgłoszenia, wątek, przyciski i /ticket

slack-root-fallback = Zgłoszenie #{ $id }: { $subject }
slack-root-header = #{ $id } · { $subject }
slack-label-customer = Klient
slack-customer-value = { $name } · { $platform } · { $language }
slack-label-category = Kategoria
slack-label-priority = Priorytet
slack-label-status = Status
slack-label-assignee = Przypisane
slack-label-due = Pierwsza odpowiedź do
slack-label-attachments = Załączniki
slack-due-overdue = { $due } — po terminie
slack-due-answered = odpowiedziano { $at }
slack-due-none = —
slack-status-new = nowe
slack-status-open = w trakcie
slack-status-waiting = czeka na klienta
slack-status-resolved = rozwiązane
slack-status-closed = zamknięte

slack-button-claim = Przejmij
slack-button-ask = Poproś o informacje
slack-button-resolve = Rozwiąż
slack-button-close = Zamknij
slack-button-reopen = Otwórz ponownie
slack-priority-placeholder = Priorytet

slack-ask-title = Prośba o informacje
slack-ask-label = Czego potrzebujesz od klienta?
slack-ask-hint = Klient dostanie to pytanie w swojej aplikacji; zgłoszenie poczeka na jego odpowiedź.
slack-ask-submit = Wyślij
slack-ask-cancel = Anuluj
slack-ask-posted = { $name } prosi klienta o dodatkowe informacje:

slack-customer-wrote = *{ $name }* ({ $platform }) pisze:
slack-customer-sent-files = *{ $name }* ({ $platform }) przesyła { $count ->
    [one] plik
    [few] { $count } pliki
   *[many] { $count } plików
  }:
slack-agent-outside = { $name } odpowiada klientowi poza Slackiem:
slack-note-outside = Notatka wewnętrzna od { $name }:
slack-file-not-copied = Nie udało się skopiować tutaj pliku „{ $name }”: { $reason }
slack-refused = Tylko zespół wsparcia (członkowie kanału <#{ $channel }>) może to zrobić.
slack-action-failed = Nie udało się: baza zgłoszeń nie odpowiedziała. Spróbuj ponownie.

slack-command-usage = `{ $command } N` pokazuje zgłoszenie N · `{ $command } search słowa` wyszukuje zgłoszenia (całe słowa; `zamów*` znajdzie też „zamówienie”) · `{ $command } mine` pokazuje Twoje otwarte zgłoszenia · `{ $command } stats [dni]` raport (domyślnie 30 dni)
slack-search-header = { $count ->
    [one] Do „{ $query }” pasuje 1 zgłoszenie:
    [few] Do „{ $query }” pasują { $count } zgłoszenia:
   *[many] Do „{ $query }” pasuje { $count } zgłoszeń:
  }
slack-search-none = Żadne zgłoszenie nie pasuje do „{ $query }”. Słowa pasują tylko w całości; dodaj `*` na końcu, by znaleźć też dłuższe (`zamów*` znajdzie „zamówienie”).
slack-mine-header = { $count ->
    [one] Masz { $count } przypisane otwarte zgłoszenie:
    [few] Masz { $count } przypisane otwarte zgłoszenia:
   *[many] Masz { $count } przypisanych otwartych zgłoszeń:
  }
slack-mine-none = Nie masz przypisanych otwartych zgłoszeń.
slack-open-thread = Otwórz wątek
slack-recent = Ostatnie wiadomości:
slack-recent-customer = { $name }: { $text }
slack-recent-agent = { $name } → klient: { $text }
slack-recent-note = { $name } (notatka wewnętrzna): { $text }
