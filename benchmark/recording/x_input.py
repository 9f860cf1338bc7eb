"""Input through the X server (XTEST, via libX11/libXtst with ctypes) at a human pace, logged.

Every event is sent with `XTestFake*Event` and flushed with `XSync`, and its wall-clock time
(`time.time()`, the clock ffmpeg's x11grab stamps frames with) goes into an `InputLog`.
Mouse paths are eased (smoothstep) with a slight seeded curve; key gaps are drawn from a
seeded generator, so a recording with the same seed sends the same events.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import math
import random
import time
from dataclasses import dataclass, field
from typing import Literal

from ...core.errors import IwrError

EventKind = Literal["move", "down", "up", "wheel", "key"]

# X keysym names of the keys a demo may press (Playwright names -> X names)
_KEY_NAMES = {
    "Enter": "Return", "Escape": "Escape", "Tab": "Tab", "Backspace": "BackSpace", "Delete": "Delete",
    "ArrowUp": "Up", "ArrowDown": "Down", "ArrowLeft": "Left", "ArrowRight": "Right", "Home": "Home",
    "End": "End", "PageUp": "Prior", "PageDown": "Next", "Space": "space", " ": "space", "Insert": "Insert",
    "Shift": "Shift_L", "Control": "Control_L", "Alt": "Alt_L", "Meta": "Super_L", "ControlOrMeta": "Control_L",
}
_WHEEL_BUTTONS = {"up": 4, "down": 5, "left": 6, "right": 7}


class XInputError(IwrError, RuntimeError):
    """The X server or its XTEST extension cannot be used."""


@dataclass(frozen=True)
class InputEvent:
    """One event sent to the X server: wall time, pointer position after it, what it was."""

    at: float  # time.time() when the server had it (after XSync)
    kind: EventKind
    x: int
    y: int
    detail: str = ""  # button number, key name or typed character


@dataclass
class InputLog:
    """The events of a recording, in the order sent."""

    events: list[InputEvent] = field(default_factory=list)

    def moves(self) -> list[InputEvent]:
        return [e for e in self.events if e.kind == "move"]


def _load(name: str) -> ctypes.CDLL:
    path = ctypes.util.find_library(name)
    if path is None:
        raise XInputError(f"lib{name} not found: run scripts/setup.sh (it installs xvfb and xdotool)")
    return ctypes.CDLL(path)


def keysym_of_char(ch: str) -> int:
    """The X keysym of a character (Latin-1 directly, other code points as Unicode keysyms)."""
    code = ord(ch)
    if ch == "\n":
        return 0xFF0D  # Return
    if ch == "\t":
        return 0xFF09  # Tab
    return code if 0x20 <= code <= 0x7E or 0xA0 <= code <= 0xFF else 0x01000000 + code


def smoothstep(t: float) -> float:
    """Ease in and out (zero speed at both ends)."""
    t = min(max(t, 0.0), 1.0)
    return t * t * (3 - 2 * t)


class XInput:
    """A connection to one X display that sends pointer, wheel and key events through XTEST."""

    def __init__(self, display: str) -> None:
        self._x11 = _load("X11")
        self._xtst = _load("Xtst")
        x11, xtst = self._x11, self._xtst
        x11.XOpenDisplay.restype = ctypes.c_void_p
        x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
        x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
        x11.XSync.argtypes = [ctypes.c_void_p, ctypes.c_int]
        x11.XStringToKeysym.argtypes = [ctypes.c_char_p]
        x11.XStringToKeysym.restype = ctypes.c_ulong
        x11.XKeysymToKeycode.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
        x11.XKeysymToKeycode.restype = ctypes.c_ubyte
        x11.XkbKeycodeToKeysym.argtypes = [ctypes.c_void_p, ctypes.c_ubyte, ctypes.c_int, ctypes.c_int]
        x11.XkbKeycodeToKeysym.restype = ctypes.c_ulong
        x11.XDisplayKeycodes.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_int)]
        x11.XChangeKeyboardMapping.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int,
                                               ctypes.POINTER(ctypes.c_ulong), ctypes.c_int]
        xtst.XTestQueryExtension.argtypes = [ctypes.c_void_p] + [ctypes.POINTER(ctypes.c_int)] * 4
        xtst.XTestFakeMotionEvent.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_ulong]
        xtst.XTestFakeButtonEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int, ctypes.c_ulong]
        xtst.XTestFakeKeyEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int, ctypes.c_ulong]
        x11.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
        x11.XDefaultRootWindow.restype = ctypes.c_ulong
        ulong_p, int_p = ctypes.POINTER(ctypes.c_ulong), ctypes.POINTER(ctypes.c_int)
        x11.XQueryPointer.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ulong_p, ulong_p, int_p, int_p, int_p, int_p,
                                      ctypes.POINTER(ctypes.c_uint)]
        self._dpy = x11.XOpenDisplay(display.encode())
        if not self._dpy:
            raise XInputError(f"cannot open X display {display}")
        ints = [ctypes.c_int() for _ in range(4)]
        if not xtst.XTestQueryExtension(self._dpy, *[ctypes.byref(i) for i in ints]):
            self.close()
            raise XInputError(f"X display {display} has no XTEST extension")
        self._root = x11.XDefaultRootWindow(self._dpy)
        self.log = InputLog()
        self.x, self.y = 0, 0
        self.stale_moves = 0  # moves the server showed only after a re-send
        self._spare_keycode: int | None = None

    def close(self) -> None:
        if self._dpy:
            self._x11.XCloseDisplay(self._dpy)
            self._dpy = None

    # --- low level -----------------------------------------------------------------
    def _sent(self, kind: EventKind, detail: str = "") -> InputEvent:
        self._x11.XSync(self._dpy, 0)
        event = InputEvent(at=time.time(), kind=kind, x=self.x, y=self.y, detail=detail)
        self.log.events.append(event)
        return event

    def server_pointer(self) -> tuple[int, int]:
        """Where the X server has the pointer now (its sprite, which the grabber draws)."""
        window, child = ctypes.c_ulong(), ctypes.c_ulong()
        rx, ry, wx, wy, mask = ctypes.c_int(), ctypes.c_int(), ctypes.c_int(), ctypes.c_int(), ctypes.c_uint()
        self._x11.XQueryPointer(self._dpy, self._root, ctypes.byref(window), ctypes.byref(child), ctypes.byref(rx),
                                ctypes.byref(ry), ctypes.byref(wx), ctypes.byref(wy), ctypes.byref(mask))
        return rx.value, ry.value

    def move(self, x: float, y: float) -> InputEvent:
        """Put the pointer at (x, y) in screen pixels; logged once the server has it there."""
        self.x, self.y = round(x), round(y)
        self._xtst.XTestFakeMotionEvent(self._dpy, -1, self.x, self.y, 0)
        self._x11.XSync(self._dpy, 0)
        for _ in range(20):
            if self.server_pointer() == (self.x, self.y):
                break
            self.stale_moves += 1
            time.sleep(0.002)
            self._xtst.XTestFakeMotionEvent(self._dpy, -1, self.x, self.y, 0)
            self._x11.XSync(self._dpy, 0)
        return self._sent("move")

    def button(self, number: int, down: bool) -> InputEvent:
        self._xtst.XTestFakeButtonEvent(self._dpy, number, 1 if down else 0, 0)
        return self._sent("down" if down else "up", str(number))

    def wheel(self, direction: str) -> InputEvent:
        """One wheel notch ("up", "down", "left", "right"): a press and release of its button."""
        number = _WHEEL_BUTTONS[direction]
        self._xtst.XTestFakeButtonEvent(self._dpy, number, 1, 0)
        self._xtst.XTestFakeButtonEvent(self._dpy, number, 0, 0)
        return self._sent("wheel", direction)

    # --- keys ------------------------------------------------------------------------
    def _keycode(self, keysym: int) -> tuple[int, bool]:
        """(keycode, needs shift) for a keysym; unmapped keysyms get a spare keycode."""
        code = int(self._x11.XKeysymToKeycode(self._dpy, keysym))
        if code:
            shifted = self._x11.XkbKeycodeToKeysym(self._dpy, code, 0, 0) != keysym
            return code, shifted
        if self._spare_keycode is None:
            low, high = ctypes.c_int(), ctypes.c_int()
            self._x11.XDisplayKeycodes(self._dpy, ctypes.byref(low), ctypes.byref(high))
            self._spare_keycode = high.value - 1
        syms = (ctypes.c_ulong * 2)(keysym, keysym)
        self._x11.XChangeKeyboardMapping(self._dpy, self._spare_keycode, 2, syms, 1)
        self._x11.XSync(self._dpy, 0)
        time.sleep(0.05)  # clients re-read the mapping on MappingNotify
        return self._spare_keycode, False

    def _keysym(self, name: str) -> int:
        sym = int(self._x11.XStringToKeysym(_KEY_NAMES.get(name, name).encode()))
        if not sym and len(name) == 1:
            sym = keysym_of_char(name)
        if not sym:
            raise XInputError(f"unknown key {name!r}")
        return sym

    def chord_codes(self, key: str) -> list[int]:
        """Keycodes to hold, in order, for a Playwright-style key or chord ("Enter", "Control+a")."""
        parts = [p for p in key.split("+") if p] if key != "+" else ["+"]
        return self._codes([self._keysym(p) for p in parts])

    def char_codes(self, ch: str) -> list[int]:
        """Keycodes to hold, in order, to type one character."""
        return self._codes([keysym_of_char(ch)])

    def _codes(self, keysyms: list[int]) -> list[int]:
        codes: list[int] = []
        for sym in keysyms:
            code, shifted = self._keycode(sym)
            if shifted:
                codes.append(int(self._x11.XKeysymToKeycode(self._dpy, self._keysym("Shift"))))
            codes.append(code)
        return codes

    def keys_down(self, codes: list[int], detail: str) -> InputEvent:
        for code in codes:
            self._xtst.XTestFakeKeyEvent(self._dpy, code, 1, 0)
        return self._sent("key", detail)

    def keys_up(self, codes: list[int]) -> None:
        for code in reversed(codes):
            self._xtst.XTestFakeKeyEvent(self._dpy, code, 0, 0)
        self._x11.XSync(self._dpy, 0)


class HumanInput:
    """Human-paced input on top of `XInput` (async: the page can be watched meanwhile).

    Glides are eased and slightly bowed, buttons and keys are held 60-110 / 30-70 ms, typed
    characters come 90-160 ms apart; all drawn from one seeded generator.
    """

    def __init__(self, x: XInput, seed: int = 0, step_seconds: float = 1 / 60) -> None:
        self.x = x
        self.rng = random.Random(seed)
        self.step_seconds = step_seconds

    @property
    def log(self) -> InputLog:
        return self.x.log

    @property
    def pointer(self) -> tuple[int, int]:
        return self.x.x, self.x.y

    def glide_seconds(self, x: float, y: float) -> float:
        """How long a glide to (x, y) takes: longer for longer paths (Fitts-like), seeded jitter."""
        dist = math.hypot(x - self.x.x, y - self.x.y)
        return (0.25 + 0.11 * math.log2(1 + dist / 12)) * self.rng.uniform(0.9, 1.15)

    async def glide(self, x: float, y: float) -> None:
        """Move the pointer to (x, y) along an eased, slightly bowed path."""
        x0, y0 = self.x.x, self.x.y
        dist = math.hypot(x - x0, y - y0)
        if dist < 0.5:
            return
        seconds = self.glide_seconds(x, y)
        bend = self.rng.uniform(-0.08, 0.08) * dist  # sideways bow of the path
        nx, ny = -(y - y0) / dist, (x - x0) / dist
        start = time.monotonic()
        while True:
            t = min(1.0, (time.monotonic() - start) / seconds)
            s = smoothstep(t)
            off = bend * math.sin(math.pi * s)
            self.x.move(x0 + (x - x0) * s + nx * off, y0 + (y - y0) * s + ny * off)
            if t >= 1.0:
                return
            await asyncio.sleep(self.step_seconds)

    async def click(self, number: int = 1) -> InputEvent:
        """Press and release a button; returns the press."""
        down = self.x.button(number, True)
        await asyncio.sleep(self.rng.uniform(0.06, 0.11))
        self.x.button(number, False)
        return down

    async def press(self, key: str) -> InputEvent:
        """A Playwright-style key or chord; returns the press."""
        codes = self.x.chord_codes(key)
        event = self.x.keys_down(codes, key)
        await asyncio.sleep(self.rng.uniform(0.03, 0.07))
        self.x.keys_up(codes)
        return event

    async def type_text(self, text: str) -> list[InputEvent]:
        """Type `text` one character at a time, 90-160 ms apart."""
        events: list[InputEvent] = []
        for i, ch in enumerate(text):
            if i:
                await asyncio.sleep(self.rng.uniform(0.09, 0.16))
            codes = self.x.char_codes(ch)
            events.append(self.x.keys_down(codes, ch))
            await asyncio.sleep(self.rng.uniform(0.03, 0.07))
            self.x.keys_up(codes)
        return events

    async def pause(self, low: float, high: float) -> None:
        """Wait a seeded human moment between `low` and `high` seconds."""
        await asyncio.sleep(self.rng.uniform(low, high))
