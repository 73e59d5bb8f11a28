"""E-mail in and out: sending through SMTP, receiving from IMAP mailboxes onto the timeline and tickets."""
