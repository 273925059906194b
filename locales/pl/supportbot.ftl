## Menu i polecenia

welcome = Dzień dobry! Jestem asystentem obsługi klienta. Napisz, w czym możemy pomóc — najpierw poszukam odpowiedzi w artykułach pomocy, a jeśli to nie wystarczy, przyjmę zgłoszenie dla naszego zespołu.
button-new-ticket = Nowe zgłoszenie
button-my-tickets = Moje zgłoszenia
button-articles = Artykuły pomocy
button-language = Język / Language
button-cancel = Anuluj
button-done = Gotowe
button-skip = Pomiń
button-confirm = Wyślij zgłoszenie
button-edit = Popraw pole
button-back = Wróć
button-previous = « Poprzednie
button-next = Następne »
button-ticket = #{ $id } { $subject }
button-open-ticket = Załóż zgłoszenie
button-helped = To mi pomogło
button-read = Czytaj: { $title }
button-close-ticket = Zamknij zgłoszenie
button-reopen-ticket = Otwórz ponownie
unknown-command = Nie znam polecenia { $command }. Wybierz coś z menu poniżej.
nothing-to-cancel = Nie ma nic do anulowania.
cancelled = Anulowano. Niczego nie wysłano.
button-expired = Ten przycisk jest już nieaktualny.
use-buttons = Wybierz jedną z opcji poniżej.
blocked = Twoje konto zostało zablokowane przez zespół wsparcia, więc nie możemy przyjąć tej wiadomości. Jeśli to pomyłka, skontaktuj się z nami inną drogą.
unsupported-content = Niestety nie obsługujemy { $kind ->
    [sticker] naklejek
    [location] lokalizacji
    [contact] kontaktów
    [poll] ankiet
   *[other] tego rodzaju wiadomości
  }. Napisz wiadomość tekstową albo wyślij zdjęcie lub plik.
error-empty = Wiadomość jest pusta. Napisz, w czym możemy pomóc.
error-too-long = Wiadomość jest za długa ({ $length } znaków, limit to { $max }). Podziel ją na kilka krótszych wiadomości.
too-many-files = Do jednego zgłoszenia można dołączyć najwyżej { $max } { $max ->
    [one] plik
    [few] pliki
   *[many] plików
  }.
file-added = Dodano plik. { $count ->
    [one] Dołączony jest { $count } plik.
    [few] Dołączone są { $count } pliki.
   *[many] Dołączonych jest { $count } plików.
  }

## Język

language-choose = Wybierz język rozmowy:
language-name = { $name }
language-set = Od teraz rozmawiamy po polsku.

## Samoobsługa

kb-found = { $count ->
    [one] Znalazłem artykuł, który może pomóc:
    [few] Znalazłem { $count } artykuły, które mogą pomóc:
   *[many] Znalazłem { $count } artykułów, które mogą pomóc:
  }
kb-article-excerpt = • { $title }
    { $excerpt }
kb-did-it-help = Czy to rozwiązuje problem? Jeśli nie, załóż zgłoszenie — Twoje pytanie zostanie w nim zapisane.
kb-nothing-found = Nie znalazłem artykułu na ten temat. Możesz założyć zgłoszenie — Twoje pytanie zostanie w nim zapisane.
kb-article = { $title }

    { $body }
kb-glad = Cieszę się, że mogłem pomóc! Gdyby coś jeszcze było potrzebne, napisz.
kb-empty = Na razie nie mamy artykułów pomocy.
kb-list = Artykuły pomocy:

## Formularz zgłoszenia

form-choose-category = Czego dotyczy zgłoszenie? Wybierz kategorię:
form-choose-field = Które pole chcesz poprawić?
form-in-progress = Masz rozpoczęte zgłoszenie — dokończ je albo anuluj.
form-optional = (pole nieobowiązkowe — możesz je pominąć)
form-required = To pole jest obowiązkowe.
form-send-files = Wyślij zdjęcie lub plik albo naciśnij „Gotowe”.
form-files-so-far = { $count ->
    [0] Nie dołączono jeszcze żadnego pliku.
    [one] Dołączono { $count } plik.
    [few] Dołączono { $count } pliki.
   *[many] Dołączono { $count } plików.
  }
form-error-empty = Pole nie może być puste.
form-error-email = To nie wygląda na poprawny adres e-mail (np. jan.kowalski@example.com).
form-error-too-short = Za krótko — potrzebujemy co najmniej { $min } { $min ->
    [one] znaku
   *[other] znaków
  }.
form-error-too-long = Za długo: { $length } znaków, limit to { $max }.

category-account = Konto i logowanie
category-payments = Płatności i faktury
category-orders = Zamówienia i dostawa
category-returns = Zwroty i reklamacje
category-technical = Problem techniczny
category-abuse = Nadużycie / fałszywe konto
category-privacy = Prywatność i dane osobowe
category-suggestion = Sugestia
category-other = Inne

field-subject-label = Temat
field-subject-prompt = Podaj krótki temat zgłoszenia (jedno zdanie).
field-description-label = Opis
field-description-prompt = Opisz dokładnie problem: co próbowałeś zrobić, co się stało i czego się spodziewałeś.
field-steps-label = Kroki
field-steps-prompt = Jak odtworzyć problem? Wypisz kolejne kroki.
field-error_message-label = Komunikat błędu
field-error_message-prompt = Przepisz dokładnie komunikat błędu (albo wyślij zrzut ekranu).
field-order_id-label = Numer zamówienia
field-order_id-prompt = Podaj numer zamówienia (np. ORD-12345).
field-order_id-format = Numer zamówienia składa się z 4–32 liter, cyfr, myślników lub ukośników, np. ORD-12345 lub 2024/11/0042.
field-account_id-label = Konto
field-account_id-prompt = Podaj adres e-mail konta lub jego identyfikator.
field-account_id-format = Podaj adres e-mail (np. jan@example.com) albo identyfikator konta (litery, cyfry, kropki, myślniki).
field-transaction_id-label = Numer transakcji
field-transaction_id-prompt = Podaj numer transakcji z potwierdzenia płatności lub wyciągu.
field-transaction_id-format = Numer transakcji składa się z 6–64 liter, cyfr lub myślników.
field-occurred_at-label = Kiedy
field-occurred_at-prompt = Kiedy to się stało? (data i przybliżona godzina)
field-environment-label = Urządzenie
field-environment-prompt = Na jakim urządzeniu? Podaj przeglądarkę lub aplikację z wersją i system (np. Chrome 120, Windows 11).
field-attachments-label = Załączniki
field-attachments-prompt = Możesz teraz wysłać zrzuty ekranu lub pliki. Gdy skończysz, naciśnij „Gotowe”.
field-email-label = E-mail kontaktowy
field-email-prompt = Podaj adres e-mail, jeśli chcesz dostać odpowiedź także mailem.

summary-title = Sprawdź zgłoszenie:
summary-line = { $label }: { $value }
summary-category = Kategoria
summary-empty = —
summary-files = { $count ->
    [0] Bez załączników.
    [one] { $count } załącznik.
    [few] { $count } załączniki.
   *[many] { $count } załączników.
  }
summary-confirm = Wszystko się zgadza?

ticket-created = Dziękujemy! Przyjęliśmy zgłoszenie nr { $id }. Pierwszej odpowiedzi możesz spodziewać się do: { $due }. Wszystkie odpowiedzi dostaniesz tutaj.

## Zgłoszenia klienta

tickets-none = Nie masz jeszcze żadnych zgłoszeń.
tickets-header = Masz { $count } { $count ->
    [one] zgłoszenie
    [few] zgłoszenia
   *[many] zgłoszeń
  } (strona { $page } z { $pages }):
tickets-line = #{ $id } { $subject } — { $status }
ticket-not-found = Nie znaleziono zgłoszenia nr { $id }.
ticket-status = Zgłoszenie nr { $id }: { $subject }
    Status: { $status }
    Kategoria: { $category }
    Utworzone: { $created }
ticket-expect-answer = Pierwszej odpowiedzi spodziewaj się do: { $due }.
history-title = Historia:
history-customer = { $at } — Ty: { $text }{ $files ->
    [0] {""}
   *[other] {" "}(załączniki: { $files })
  }
history-agent = { $at } — { $name }: { $text }
history-status = { $at } — status: { $status }
history-more = … i { $count } { $count ->
    [one] wcześniejszy wpis
    [few] wcześniejsze wpisy
   *[many] wcześniejszych wpisów
  }
follow-up-added = Dopisano do zgłoszenia nr { $id }. Zespół wsparcia zobaczy Twoją wiadomość.
follow-up-pick = Masz kilka otwartych zgłoszeń. Do którego dopisać tę wiadomość?
ticket-closed-by-you = Zamknięto zgłoszenie nr { $id }. Jeśli problem wróci, możesz je otworzyć ponownie.
ticket-already-closed = Zgłoszenie nr { $id } jest już zamknięte.
ticket-reopened-by-you = Zgłoszenie nr { $id } jest znów otwarte. Napisz, co się dzieje.
ticket-still-open = Zgłoszenie nr { $id } jest nadal otwarte.

status-new = nowe
status-open = w trakcie
status-waiting = czeka na Twoją odpowiedź
status-resolved = rozwiązane
status-closed = zamknięte

priority-low = niski
priority-normal = normalny
priority-high = wysoki
priority-urgent = pilny

## Powiadomienia od zespołu

agent-reply = Odpowiedź w zgłoszeniu nr { $id } — { $name }:
    { $text }
notice-assigned = Twoim zgłoszeniem nr { $id } zajmuje się teraz: { $name }.
notice-priority = Priorytet zgłoszenia nr { $id } zmieniono na: { $priority }.
notice-waiting = { $name } prosi o dodatkowe informacje w zgłoszeniu nr { $id }. Odpisz tutaj — wiadomość trafi do zgłoszenia.
notice-waiting-question = { $name } prosi o dodatkowe informacje w zgłoszeniu nr { $id }:
    { $text }
    Odpisz tutaj — wiadomość trafi do zgłoszenia.
notice-resolved = Zgłoszenie nr { $id } zostało rozwiązane. Jeśli problem nie zniknął, otwórz je ponownie.
notice-reopened = Zgłoszenie nr { $id } zostało ponownie otwarte.
notice-closed = Zgłoszenie nr { $id } zostało zamknięte.
notice-blocked = Zespół wsparcia ograniczył możliwość pisania do nas z tego konta.
notice-unblocked = Możesz znów do nas pisać.

message-edited = (poprawiona wiadomość)
message-withdrawn = Zespół wsparcia wycofał jedną ze swoich wiadomości.

## Obsługa: priorytety, przypomnienia, oceny, limity

throttled = Dostaliśmy od Ciebie dużo wiadomości naraz — wszystkie zapisaliśmy i zespół je zobaczy. Kolejne odpowiedzi automatyczne wyślę za chwilę (limit: { $per_minute } wiadomości na minutę).
too-many-open-tickets = Masz już { $count } { $count ->
    [one] otwarte zgłoszenie
    [few] otwarte zgłoszenia
   *[many] otwartych zgłoszeń
  }. Napisz w jednym z nich — tak odpowiemy szybciej.
form-choose-priority = Jak pilna jest sprawa? (Twój plan pozwala wybrać priorytet.)
summary-priority = Priorytet
kb-closed-ticket-linked = Twoje poprzednie zgłoszenie nr { $id } jest zamknięte. Jeśli założysz nowe, połączymy je z poprzednim.
ticket-reopened-by-reply = Zgłoszenie nr { $id } zostało ponownie otwarte, a Twoja wiadomość do niego dopisana.
button-remind = Wyślij przypomnienie
reminder-not-needed = W zgłoszeniu nr { $id } nie trzeba przypominać — zespół już odpowiedział albo czeka na Twoją odpowiedź.
reminder-too-early = Obiecany czas odpowiedzi w zgłoszeniu nr { $id } jeszcze nie minął: odpowiemy do { $due }.
reminder-already = Przypomnienie w zgłoszeniu nr { $id } zostało już wysłane. Kolejne możesz wysłać po { $next }.
reminder-sent = Wysłaliśmy przypomnienie do zespołu w sprawie zgłoszenia nr { $id }. Przepraszamy za zwłokę.
rating-ask = Jak oceniasz pomoc? Wybierz od 1 do 5.
button-rate = { $stars ->
    [1] ★ 1
    [2] ★★ 2
    [3] ★★★ 3
    [4] ★★★★ 4
   *[5] ★★★★★ 5
  }
rating-thanks = Dziękujemy za ocenę: { $stars }/5.
rating-ask-comment = Chcesz coś dodać? Napisz krótki komentarz albo pomiń.
rating-comment-skipped = W porządku, dziękujemy!
rating-already = Zgłoszenie nr { $id } zostało już ocenione. Dziękujemy!
rating-comment-thanks = Dziękujemy za komentarz — pomoże nam działać lepiej.
notice-auto-closed = Zgłoszenie nr { $id } zostało automatycznie zamknięte, bo od jego rozwiązania nie było nowych wiadomości. Jeśli problem wróci, załóż nowe zgłoszenie — połączymy je z tym.
