"""Collecting received files by themselves: the inbox folder (:mod:`.inbox`) and an IMAP
mailbox (:mod:`.imap`). Both archive and ingest through :mod:`insday.intake.service`."""
