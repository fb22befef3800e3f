"""One module per `codeguard` subcommand; each exposes `register(subparsers)`."""
