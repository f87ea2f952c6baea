"""One module per `regolith` subcommand: HELP, add_arguments(parser), run(args) -> exit code."""
