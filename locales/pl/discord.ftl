## Discord: odpowiedzi widoczne tylko dla Ciebie, menu i polecenia /ticket

discord-continue-in-dms = Dalszą część rozmowy prowadzimy w wiadomościach prywatnych — zajrzyj do swoich DM. Jeśli nic nie przyszło, zezwól na wiadomości prywatne od członków tego serwera (ustawienia prywatności serwera) i spróbuj ponownie.
discord-continue-here = Odpowiedź znajdziesz poniżej.
discord-not-saved = Nie udało się zapisać Twojej wiadomości. Spróbuj wysłać ją ponownie za chwilę.
discord-select-placeholder = Wybierz z listy…
discord-modal-title = Zgłoszenie: { $category }
discord-file-too-large = Plik „{ $name }” jest za duży, aby wysłać go przez Discorda.
discord-file-unavailable = Nie udało się dołączyć pliku „{ $name }”.

discord-command-ticket = Zgłoszenia do zespołu wsparcia
discord-command-new = Załóż nowe zgłoszenie
discord-command-list = Pokaż moje zgłoszenia
discord-command-status = Sprawdź status zgłoszenia
discord-option-category = Kategoria — od razu otwiera formularz zgłoszenia
discord-option-number = Numer zgłoszenia
