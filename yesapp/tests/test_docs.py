"""The README and .env.example document every setting the code reads."""

import re

from yesapp.tests.fixtures import ROOT


def _settings_read_from_the_environment() -> set[str]:
    # settings.py and the parts it imports (settings_storage.py reads the S3 settings).
    source = "\n".join(path.read_text() for path in sorted((ROOT / "yesapp").glob("settings*.py")))
    names = set(re.findall(r"""env\.\w+\(\s*["']([A-Z][A-Z0-9_]*)["']""", source))
    # The process command lines (scripts/serve.sh, used by the Procfile and the Docker image)
    # and the compose file read settings too.
    for path in ("Procfile", "scripts/serve.sh", "docker/docker-compose.yml"):
        names |= set(re.findall(r"\$\{([A-Z][A-Z0-9_]*):-", (ROOT / path).read_text()))
    return names


def test_every_setting_has_a_line_in_env_example():
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", (ROOT / ".env.example").read_text(), re.M))
    missing = sorted(_settings_read_from_the_environment() - documented)
    assert not missing, f"add these to .env.example (default and a one-line comment): {missing}"


def test_every_setting_is_in_the_readme_configuration_table():
    readme = (ROOT / "README.md").read_text()
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([A-Z][A-Z0-9_]*)` \|", table, re.M))
    missing = sorted(_settings_read_from_the_environment() - documented)
    assert not missing, f"add these to the README's configuration table: {missing}"


def test_readme_quick_start_is_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"^make \w+", quick_start, re.M)
    assert commands == ["make run", "make test"]
