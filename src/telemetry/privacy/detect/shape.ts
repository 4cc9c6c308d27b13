/** What one pass over a string's characters tells the detectors, so that most of them need not run. */
export interface Shape {
  digits: number;
  upper: number;
  colons: number;
  dots: number;
  at: boolean;
  percent: boolean;
  space: boolean;
  equals: boolean;
  /** "_" or "-": every vendor key prefix but AWS, Google and SendGrid has one. */
  joiner: boolean;
  plus: boolean;
  /**
   * The most digits in one group sequence: digits apart by at most two of space . - / ( ).
   * Phone numbers (8–15 digits) and card numbers (13–19) are such sequences; dates, times,
   * versions and user agents are broken up by letters, colons or long gaps.
   */
  digitRun: number;
  /** The longest run of base64/base64url characters (letters, digits, + / _ -). */
  longestRun: number;
}

export function shapeOf(text: string): Shape {
  const shape: Shape = {
    digits: 0,
    upper: 0,
    colons: 0,
    dots: 0,
    at: false,
    percent: false,
    space: false,
    equals: false,
    joiner: false,
    plus: false,
    digitRun: 0,
    longestRun: 0,
  };
  let run = 0;
  let digitRun = 0;
  let gap = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    let inRun = true;
    if (code >= 48 && code <= 57) {
      digitRun = gap <= 2 ? digitRun + 1 : 1;
      gap = 0;
      if (digitRun > shape.digitRun) shape.digitRun = digitRun;
    } else if (code === 32 || code === 46 || code === 45 || code === 47 || code === 40 || code === 41) gap++;
    else {
      digitRun = 0;
      gap = 0;
    }
    if (code >= 97 && code <= 122) {
      // lower-case letter: the commonest case first
    } else if (code >= 48 && code <= 57) shape.digits++;
    else if (code >= 65 && code <= 90) shape.upper++;
    else if (code === 95 || code === 45) shape.joiner = true;
    else if (code === 43) shape.plus = true;
    else if (code !== 47) {
      inRun = false;
      if (code === 58) shape.colons++;
      else if (code === 46) shape.dots++;
      else if (code === 64) shape.at = true;
      else if (code === 37) shape.percent = true;
      else if (code === 61) shape.equals = true;
      else if (code === 32 || code === 9 || code === 10 || code === 13 || code === 0xa0) shape.space = true;
    }
    if (inRun) {
      if (++run > shape.longestRun) shape.longestRun = run;
    } else run = 0;
  }
  return shape;
}
