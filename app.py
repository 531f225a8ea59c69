"""The chat page: ``python app.py [--host H] [--port P] [--auth user:pw | --auth-file F] [--backend fake]``.

Thin on purpose: parse the arguments, build the settings once, hand them to
``rag.webapp.build_app`` and launch. The page's ``RagService`` (rag/service.py) prepares the
models and index and warms the model up in the background, so the page is served at once.
Binds to 127.0.0.1 with no login and no public link unless asked; ``RAG_AUTH`` (settings
``app.auth``) turns the login on without an argument.
"""

from __future__ import annotations

import argparse
import os
import sys

# Before gradio is imported anywhere: no analytics or version check leaves this machine.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description="中文资料问答：本地知识库问答网页 (Chinese RAG chat page)")
    p.add_argument("--host", help="bind address (default: app.host, 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default: app.port, 7860)")
    login = p.add_mutually_exclusive_group()
    login.add_argument("--auth", metavar="USER:PASSWORD", help="require this login (also: RAG_AUTH)")
    login.add_argument("--auth-file", metavar="FILE", help="require a login from a file of user:password lines")
    p.add_argument("--config", help="TOML settings file")
    p.add_argument("--backend", choices=["real", "fake"], default=None,
                   help="fake: deterministic stand-in models (tests and demos)")
    p.add_argument("--share", action="store_true", help="also open a public Gradio share link (off by default)")
    return p


def settings_from_args(args: argparse.Namespace):
    """The settings for this run: config file, RAG_* variables, then the arguments."""
    from rag.config import load_settings
    from rag.errors import ConfigError

    overrides: dict[str, dict] = {}
    app = overrides.setdefault("app", {})
    if args.host:
        app["host"] = args.host
    if args.port is not None:
        app["port"] = args.port
    if args.auth:
        app["auth"] = args.auth
    if args.auth_file:
        if not os.path.isfile(args.auth_file):
            raise ConfigError(f"--auth-file {args.auth_file} does not exist")
        app["auth"] = args.auth_file
    if args.backend == "fake":
        overrides["embedder"] = {"backend": "fake"}
        overrides["generator"] = {"backend": "fake"}
    return load_settings(args.config, overrides)


def main(argv: list[str] | None = None) -> int:
    from rag.errors import RagError

    args = build_parser().parse_args(argv)
    try:
        settings = settings_from_args(args)
        from rag.webapp import build_app, launch_options

        options = launch_options(settings, share=args.share)
        demo = build_app(settings)
    except RagError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if options["server_name"] not in ("127.0.0.1", "localhost", "::1") and not options["auth"]:
        print(f"warning: serving on {options['server_name']} without a login; anyone who can reach this "
              f"machine can use and change the knowledge base. Add --auth user:password.", file=sys.stderr)
    demo.launch(**options)
    return 0


if __name__ == "__main__":
    sys.exit(main())
