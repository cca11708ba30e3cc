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
    this.tone = null;
  }

  /** Flip the switch from a click, which is also the gesture browsers require before audio. */
  toggle() {
    this.enabled = !this.enabled;
    localStorage.setItem(SOUND_KEY, this.enabled ? "on" : "off");
    if (this.enabled) this.unlock();
    else this.silence();
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

  /** Start the ring tone, looping until `silence()`; false when sound is off or still blocked.
   *
   * Two tones (440 + 480 Hz) switched on and off by a slow square wave, all inside the audio
   * graph: no timer drives the cadence, so a throttled background tab rings just the same.
   */
  ring() {
    if (!this.enabled) return false;
    if (!this.tone) {
      try {
        this.context ??= new AudioContext();
        if (this.context.state === "suspended") this.context.resume().catch(() => {});
        this.tone = this.toneGraph();
      } catch {
        return false;
      }
    }
    return !this.blocked;
  }

  toneGraph() {
    const ctx = this.context;
    const volume = ctx.createGain();
    volume.gain.value = 0;
    // gain = 0.06 + 0.06 × square(0.5 Hz): one second on, one second off.
    const bias = ctx.createConstantSource();
    bias.offset.value = 0.06;
    const cadence = ctx.createOscillator();
    cadence.type = "square";
    cadence.frequency.value = 0.5;
    const depth = ctx.createGain();
    depth.gain.value = 0.06;
    cadence.connect(depth).connect(volume.gain);
    bias.connect(volume.gain);
    const tones = [440, 480].map((frequency) => {
      const oscillator = ctx.createOscillator();
      oscillator.frequency.value = frequency;
      oscillator.connect(volume);
      return oscillator;
    });
    volume.connect(ctx.destination);
    const sources = [bias, cadence, ...tones];
    for (const source of sources) source.start();
    return { sources, volume };
  }

  /** Stop the ring tone. */
  silence() {
    if (!this.tone) return;
    for (const source of this.tone.sources) {
      source.stop();
      source.disconnect();
    }
    this.tone.volume.disconnect();
    this.tone = null;
  }

  /** True while the ring tone plays (or would, once the browser allows sound). */
  get ringing() {
    return Boolean(this.tone);
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
