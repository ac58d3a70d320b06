"""Built-in corpora and the function that turns a name or a path into a Corpus."""
