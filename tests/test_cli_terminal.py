"""What `manne` asks on a terminal, answered through a pseudo-terminal:
keygen --seal's passphrase typed twice (two that differ, an empty one, two
that match), in English and in French. Nothing is written unless the two
match.
"""
import os
import pty
import select
import shutil
import signal
import sys
import tempfile
import termios
import time

CLI = os.environ["MANNE_CLI"]


def echo_on(fd):
    try:
        return bool(termios.tcgetattr(fd)[3] & termios.ECHO)
    except termios.error:
        return True


def converse(args, answers, lang):
    """Runs manne on a new terminal, typing each answer after each prompt;
    returns (exit status, all it wrote on the terminal)."""
    pid, fd = pty.fork()
    if pid == 0:
        env = dict(os.environ, LANG=lang, LC_ALL=lang)
        os.execve(CLI, [CLI] + args, env)
    seen, typed, deadline = b"", 0, time.time() + 30
    while time.time() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        # A prompt ends in ": " and waits, echo off: answer it then (typed
        # before the echo is off, an answer may be flushed with the mode change).
        if typed < len(answers) and seen.rstrip(b" ").endswith(b":") and not echo_on(fd):
            time.sleep(0.05)
            os.write(fd, answers[typed].encode() + b"\n")
            typed += 1
            seen += b"\n"
    if time.time() >= deadline:
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), seen.decode("utf-8", "replace")


def main():
    work = tempfile.mkdtemp(prefix="manne-terminal-")
    try:
        for lang, differ, empty in (("C", "the two passphrases differ", "the passphrase is empty"),
                                    ("fr_FR.UTF-8", "les deux phrases de passe diffèrent",
                                     "la phrase de passe est vide")):
            key = os.path.join(work, "board-%s.key" % lang)
            rc, said = converse(["keygen", key, "--seal"], ["quatre mots bien choisis", "quatre mots mal choisis"],
                                lang)
            assert rc == 2 and differ in said and not os.path.exists(key), (rc, said)
            rc, said = converse(["keygen", key, "--seal"], ["", ""], lang)
            assert rc == 2 and empty in said and not os.path.exists(key), (rc, said)
            rc, said = converse(["keygen", key, "--seal"], ["quatre mots bien choisis"] * 2, lang)
            assert rc == 0 and os.path.exists(key), (rc, said)
        print("ok: passphrases that differ or are empty are refused and said so; matching ones seal the key")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
