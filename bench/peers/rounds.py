"""What the rounds scripts' ratio printers share (levels_ratios.py, conv_ratios.py)."""
import os


def say_if_quick(out):
    """Prints the QUICK marker rounds.sh leaves in a shortened run's folder: its figures are not for quoting."""
    marker = os.path.join(out, "QUICK")
    if os.path.exists(marker):
        print("NOTE: " + open(marker).read().strip())
