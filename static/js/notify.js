/** Telling the agent: live-region announcements, the sound switch and its tone. */

const SOUND_KEY = "callcenter.sound";

function speak(region, text) {
  if (!region) return;
  // Clearing first makes a repeated message count as new for screen readers.
  region.textContent = "";
  setTimeout(() => {
    region.textContent = text;
  }, 50);
}

/** A polite announcement (state changed, saved, reconnected). */
export function announce(text) {
  speak(document.getElementById("live-status"), text);
}

/** An assertive announcement (connection lost, a call rings). */
export function alertNow(text) {
  speak(document.getElementById("live-alert"), text);
}

/** The sound switch, remembered per browser; the first click also unlocks audio playback. */
export class Sound {
  constructor() {
    this.enabled = localStorage.getItem(SOUND_KEY) !== "off";
    this.context = null;
  }

  /** Flip the switch from a click, which is also the gesture browsers require before audio. */
  toggle() {
    this.enabled = !this.enabled;
    localStorage.setItem(SOUND_KEY, this.enabled ? "on" : "off");
    if (this.enabled) this.unlock();
    return this.enabled;
  }

  /** Create or resume the audio context inside a user gesture. */
  unlock() {
    this.context ??= new AudioContext();
    if (this.context.state === "suspended") this.context.resume();
  }

  /** True when the browser still blocks sound until the next click. */
  get blocked() {
    return this.enabled && (!this.context || this.context.state !== "running");
  }

  /** A short two-note tone (no audio file to fetch). */
  chime() {
    if (!this.enabled || this.blocked) return;
    const start = this.context.currentTime;
    for (const [offset, frequency] of [[0, 880], [0.18, 660]]) {
      const oscillator = this.context.createOscillator();
      const gain = this.context.createGain();
      oscillator.frequency.value = frequency;
      gain.gain.setValueAtTime(0.12, start + offset);
      gain.gain.exponentialRampToValueAtTime(0.001, start + offset + 0.16);
      oscillator.connect(gain).connect(this.context.destination);
      oscillator.start(start + offset);
      oscillator.stop(start + offset + 0.17);
    }
  }
}
