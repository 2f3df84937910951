/** Every lint rule, in id order: one file per rule in this directory. */
import { rule as DL1001 } from './DL1001.ts';
import { rule as DL1002 } from './DL1002.ts';
import { rule as DL1003 } from './DL1003.ts';
import { rule as DL1004 } from './DL1004.ts';
import { rule as DL1010 } from './DL1010.ts';
import { rule as DL1011 } from './DL1011.ts';
import { rule as DL1012 } from './DL1012.ts';
import { rule as DL1013 } from './DL1013.ts';
import { rule as DL1020 } from './DL1020.ts';
import { rule as DL1021 } from './DL1021.ts';
import { rule as DL1030 } from './DL1030.ts';
import { rule as DL1040 } from './DL1040.ts';
import { rule as DL1041 } from './DL1041.ts';
import { rule as DL1042 } from './DL1042.ts';
import { rule as DL1050 } from './DL1050.ts';
import { rule as DL1051 } from './DL1051.ts';
import { rule as DL1052 } from './DL1052.ts';
import { rule as DL1053 } from './DL1053.ts';
import { rule as DL1060 } from './DL1060.ts';
import { rule as DL1061 } from './DL1061.ts';
import { rule as DL1062 } from './DL1062.ts';
import { rule as DL1063 } from './DL1063.ts';
import { rule as DL1064 } from './DL1064.ts';
import { rule as DL1070 } from './DL1070.ts';
import { rule as DL1071 } from './DL1071.ts';
import { rule as DL1072 } from './DL1072.ts';
import { rule as DL1073 } from './DL1073.ts';
import { rule as DL1074 } from './DL1074.ts';
import { rule as DL1080 } from './DL1080.ts';
import { rule as DL1081 } from './DL1081.ts';
import { rule as DL1082 } from './DL1082.ts';
import { rule as DL1090 } from './DL1090.ts';
import { rule as DL1091 } from './DL1091.ts';
import { rule as DL1092 } from './DL1092.ts';
import { rule as DL1093 } from './DL1093.ts';
import { rule as DL1094 } from './DL1094.ts';
import { rule as DL1095 } from './DL1095.ts';
import { rule as DL1096 } from './DL1096.ts';
import { rule as DL1097 } from './DL1097.ts';
import type { Rule } from './rule.ts';

export const RULES: readonly Rule[] = [
  DL1001,
  DL1002,
  DL1003,
  DL1004,
  DL1010,
  DL1011,
  DL1012,
  DL1013,
  DL1020,
  DL1021,
  DL1030,
  DL1040,
  DL1041,
  DL1042,
  DL1050,
  DL1051,
  DL1052,
  DL1053,
  DL1060,
  DL1061,
  DL1062,
  DL1063,
  DL1064,
  DL1070,
  DL1071,
  DL1072,
  DL1073,
  DL1074,
  DL1080,
  DL1081,
  DL1082,
  DL1090,
  DL1091,
  DL1092,
  DL1093,
  DL1094,
  DL1095,
  DL1096,
  DL1097,
];

export type { Rule, RawFinding, LintContext, Severity } from './rule.ts';
