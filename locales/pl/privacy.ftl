## Ochrona danych osobowych (RODO): prośby klienta z czatu

privacy-options = Możesz poprosić o kopię danych, które przechowujemy o Tobie w zgłoszeniach, albo o ich usunięcie. Prośbę przekażemy zespołowi wsparcia, który odpowie najpóźniej w ciągu miesiąca.
button-privacy = Moje dane (RODO)
privacy-button-export = Kopia moich danych
privacy-button-erase = Usuń moje dane
privacy-kind-export = kopia Twoich danych
privacy-kind-erase = usunięcie Twoich danych
privacy-request-recorded = Zapisaliśmy Twoją prośbę: { $kind }. Zespół wsparcia zajmie się nią w zgłoszeniu nr { $id } i odpowie najpóźniej w ciągu miesiąca.
privacy-request-already = Twoja prośba ({ $kind }) jest już zapisana w zgłoszeniu nr { $id }. Zespół wsparcia się nią zajmuje.

## Dla zespołu wsparcia

desk-privacy-request = 🔒 Wniosek RODO w zgłoszeniu #{ $id }: { $kind } (klient nr { $customer }, { $platform }). Po sprawdzeniu tożsamości administrator wykonuje: supportbot customer { $command } { $customer }
desk-privacy-kind-export = kopia danych (eksport)
desk-privacy-kind-erase = usunięcie danych
