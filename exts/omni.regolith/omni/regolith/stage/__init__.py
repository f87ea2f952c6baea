"""The stage in USD (`pxr`): authoring it (`author`) and reading it back (`read`)."""
