"""Web forms: a builder of contact and lead-capture forms, embedded or hosted, spam-protected, creating leads
and tickets."""
