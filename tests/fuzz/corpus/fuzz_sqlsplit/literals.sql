SELECT U&'\0041', B'101', X'ff', 1.5e10, 'café';
