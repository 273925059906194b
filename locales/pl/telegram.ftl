## Telegram: opisy poleceń w menu (setMyCommands, do 256 znaków) i komunikaty tylko dla Telegrama.

telegram-command-start = Menu główne
telegram-command-new = Załóż nowe zgłoszenie
telegram-command-tickets = Moje zgłoszenia
telegram-command-status = Stan zgłoszenia, np. /status 12
telegram-command-help = Pomoc i menu
telegram-command-language = Zmień język / Change language
telegram-command-cancel = Przerwij rozpoczęte zgłoszenie
telegram-private-only = Odpowiadam tylko w prywatnej rozmowie, żeby Twoje zgłoszenia widział wyłącznie Ty i nasz zespół wsparcia. Napisz do mnie tutaj: { $link }
