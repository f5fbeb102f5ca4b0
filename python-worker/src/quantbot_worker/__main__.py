from quantbot_worker.cli import run

raise SystemExit(run())
