"""Video writer/readers, pointer drawing and the pointer film composer."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from iwr.tools.pointer import NullFilm, PointerFilm, PointerShape, PointerStyle, draw_click_ring, draw_pointer, ease_in_out
from iwr.tools.video import Mp4Writer, VideoError, ffmpeg_exe, frame_at, iter_frames, sample_frames, video_info

W, H, FPS = 160, 96, 10.0


def solid(color: tuple[int, int, int]) -> np.ndarray:
    frame = np.zeros((H, W, 3), np.uint8)
    frame[:] = color
    return frame


@pytest.fixture(scope="module")
def colour_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3 s: 1 s red, 1 s green, 1 s blue."""
    path = tmp_path_factory.mktemp("video") / "rgb.mp4"
    with Mp4Writer(path, W, H, FPS) as writer:
        for color in ((255, 0, 0), (0, 255, 0), (0, 0, 255)):
            writer.write(solid(color), repeat=int(FPS))
        assert writer.frames_written == 30 and writer.time == pytest.approx(3.0)
    return path


def test_writer_makes_h264_mp4_that_opencv_reads(colour_video: Path) -> None:
    info = video_info(colour_video)
    assert (info.width, info.height, info.fps, info.frame_count) == (W, H, FPS, 30)
    assert info.duration == pytest.approx(3.0)
    probe = subprocess.run([ffmpeg_exe(), "-hide_banner", "-i", str(colour_video)], capture_output=True, text=True)
    assert "h264" in probe.stderr and "yuv420p" in probe.stderr
    head = colour_video.read_bytes()[:4096]
    assert head.find(b"moov") != -1 and head.find(b"moov") < max(head.find(b"mdat"), 4096)  # +faststart


def test_readers_give_rgb_frames_at_the_right_times(colour_video: Path) -> None:
    frames = list(iter_frames(colour_video))
    assert len(frames) == 30 and frames[12].time == pytest.approx(1.2)
    assert np.allclose(frames[15].image.reshape(-1, 3).mean(axis=0), (0, 255, 0), atol=12)
    bgr = next(iter_frames(colour_video, rgb=False)).image
    assert bgr[H // 2, W // 2, 2] > 200 and bgr[H // 2, W // 2, 0] < 40
    assert [f.index for f in iter_frames(colour_video, step=7)] == [0, 7, 14, 21, 28]
    sampled = sample_frames(colour_video, fps=1.0)
    assert [f.index for f in sampled] == [0, 10, 20]
    assert [f.image[0, 0].argmax() for f in sampled] == [0, 1, 2]
    assert [f.index for f in sample_frames(colour_video, fps=5.0, max_frames=4)] == [0, 10, 18, 28]
    assert frame_at(colour_video, 2.5)[0, 0].argmax() == 2


def test_writer_rejects_bad_sizes_and_frames(tmp_path: Path) -> None:
    with pytest.raises(VideoError, match="even"):
        Mp4Writer(tmp_path / "odd.mp4", 161, 96)
    writer = Mp4Writer(tmp_path / "x.mp4", W, H, FPS)
    with pytest.raises(VideoError, match="frame must be"):
        writer.write(np.zeros((H, W + 2, 3), np.uint8))
    writer.abort()
    with pytest.raises(VideoError, match="cannot open"):
        video_info(tmp_path / "missing.mp4")


def test_pointer_shapes_and_ring_draw_where_asked() -> None:
    arrow, hand = solid((200, 200, 200)), solid((200, 200, 200))
    draw_pointer(arrow, 40, 30, PointerShape.ARROW)
    draw_pointer(hand, 40, 30, PointerShape.HAND)
    changed = np.argwhere((arrow != 200).any(axis=2))
    assert changed[:, 0].min() >= 29 and changed[:, 1].min() >= 39  # arrow tip is the hot spot
    assert not np.array_equal(arrow, hand)
    # a different cursor: same shape, other colours
    red = solid((200, 200, 200))
    draw_pointer(red, 40, 30, "arrow", PointerStyle(fill=(255, 0, 0), outline=(0, 0, 255)))
    assert (red[(red != 200).any(axis=2)][:, 0] == 255).any()
    ring = solid((255, 255, 255))
    draw_click_ring(ring, 80, 48, 0.5)
    ys, xs = np.nonzero((ring != 255).any(axis=2))
    assert abs(xs.mean() - 80) < 1.5 and abs(ys.mean() - 48) < 1.5
    assert (ring[48, 80] == 255).all()  # a ring, not a disc
    done = solid((255, 255, 255))
    draw_click_ring(done, 80, 48, 1.0)
    assert (done == 255).all()  # fully faded at the end
    assert ease_in_out(0) == 0 and ease_in_out(1) == 1 and ease_in_out(0.25) < 0.25 < ease_in_out(0.5)


def test_pointer_film_counts_time_and_moves_with_easing() -> None:
    frames: list[np.ndarray] = []

    def sink(frame: np.ndarray, repeat: int) -> None:
        frames.extend([frame] * repeat)

    film = PointerFilm(sink, 10.0, (10.0, 10.0))
    film.show(solid((255, 255, 255)))
    film.hold(0.5)
    assert film.frames == 5 and film.time == pytest.approx(0.5)
    film.move_to(130.0, 60.0, seconds=1.0)
    assert film.frames == 15 and (film.x, film.y) == (130.0, 60.0)
    film.click()
    film.hold(1.0)
    assert film.frames == 25 and len(frames) == 25

    def pointer_x(frame: np.ndarray) -> float:
        return float(np.nonzero((frame != 255).any(axis=2))[1].min())

    xs = [pointer_x(f) for f in frames[5:15]]
    steps = np.diff([10.0, *xs])
    assert steps[0] < steps[4] and steps[-1] < steps[4]  # slow-fast-slow
    assert not np.array_equal(frames[16], frames[-1])  # the ring shows right after the click ...
    assert np.array_equal(frames[-1], frames[-2])  # ... and is gone at the end

    null = NullFilm((5.0, 5.0))
    null.hold(2.0)
    null.move_to(50.0, 50.0)
    assert (null.x, null.y) == (50.0, 50.0)
