"""A record's values in and out, the same for screens, API and import: the form fields of
every form (built from the field-type registry), validation and column labels."""
