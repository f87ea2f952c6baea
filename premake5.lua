-- Kit-style build description, kept in the shape of NVIDIA-Omniverse/kit-app-template's
-- premake5.lua so this repo can move onto the Kit repo tools (repo_build / premake) unchanged.
--
-- Honest note: nothing here runs today. This repository's tool is ./repo.sh (plain bash + a
-- Python venv): `./repo.sh test`, `./repo.sh demo`, `./repo.sh launch` (needs ISAACSIM_PATH).
-- The omni.regolith extension is pure Python, so there is nothing to compile; Kit loads it
-- straight from exts/ (`--ext-folder exts`). The lines below only matter if the repo is ever
-- built with kit-app-template's `repo build`, which fetches the Kit SDK over the network.

-- Shared build scripts from the repo_build package.
repo_build = require("omni/repo/build")

-- Repo root
root = repo_build.get_abs_path(".")

-- Kit-friendly premake configuration from repo_kit_tools.
kit = require("_repo/deps/repo_kit_tools/kit-template/premake5-kit")
kit.setup_all({ cppdialect = "C++17" })

-- Apps: one launcher script and project per .kit file. Kit registers a .kit file as an extension
-- named after the file, so the app must not be called omni.regolith.kit (that made a second
-- omni.regolith depending on itself).
define_app("app/omni.regolith.app.kit")
