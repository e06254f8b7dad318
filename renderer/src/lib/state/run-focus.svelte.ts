/**
 * Where keyboard focus goes when a run starts or ends, shared by the page's two sets of Run / Stop
 * buttons (the run bar's and the run card's, `RunButtons.svelte`).
 *
 * The contract: a student who pressed Run with focus on it keeps focus on the control that now stops
 * the run, and gets it back on Run when the run ends, so Enter, Enter runs and stops without hunting
 * for the button. Focus that was anywhere else is left where it is. Because starting a run scrolls the
 * page to the timeline, the Stop that takes focus is the run bar's (the one that stays in view),
 * whichever Run was pressed; at the end, a Stop that has focus hands it to the Run beside it.
 *
 * The buttons never become `disabled` while a run starts or stops (a disabled button drops focus to
 * <body>): they say `aria-disabled` and ignore presses instead.
 */
export class RunFocus {
  #stopWantsFocus = $state(false);

  /** Run was pressed; `hadFocus`: the Run button had focus then (Enter or Space on it, or a click). */
  pressedRun(hadFocus: boolean): void {
    this.#stopWantsFocus = hadFocus;
  }

  /** The run bar's Stop should take focus as soon as it can stop the run. */
  get stopWantsFocus(): boolean {
    return this.#stopWantsFocus;
  }

  /** Focus has moved to Stop, or no run came of the press (another run was going, or it failed). */
  settled(): void {
    this.#stopWantsFocus = false;
  }
}
