"""Prompt templates, one Markdown file per role and step, and their renderer."""

from .render import PromptError, placeholders, render, template_names

__all__ = ["PromptError", "placeholders", "render", "template_names"]
