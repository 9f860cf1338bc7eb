"""Map the top-level folders into the `iwr.*` namespace, finding every sub-package."""

from setuptools import find_packages, setup

ROOTS = {
    "iwr": "iwr",
    "iwr.agents": "agents",
    "iwr.tools": "tools",
    "iwr.graphs": "graphs",
    "iwr.benchmark": "benchmark",
    "iwr.prompts": "prompts",
    "iwr.core": "core",
}

packages: list[str] = []
for package, folder in ROOTS.items():
    packages.append(package)
    packages.extend(f"{package}.{sub}" for sub in find_packages(folder))

setup(
    packages=packages,
    package_dir=ROOTS,
    package_data={"": ["*.html", "*.css", "*.js", "*.yaml", "*.png", "*.jpg", "*.svg", "*.md", "*.txt", "*.json"]},
    include_package_data=True,
)
